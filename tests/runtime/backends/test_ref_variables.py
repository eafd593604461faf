"""TF1's default variables (ref variables, ``VariableV2``) on both backends.

Graphs built by TF 1.x (imported MetaGraphs) and variables created with
``use_resource=False`` are ref variables. A v1 Session keeps their values per session;
the eager backend runs them as the session's own resource variables. Before that, their
values lived in the eager context under the variable's name: a second session (and any
graph with a variable of the same name) saw the first session's values.
"""

import numpy as np
import pytest

import compat
import compat.v1 as tf


def _ref(name, value, **kwargs):
    v = tf.Variable(value, name=name, use_resource=False, **kwargs)
    assert type(v).__name__ == "RefVariable" and v.op.type == "VariableV2"
    return v


def test_each_session_has_its_own_values(backend):
    w = _ref("w", [1.0, 2.0])
    inc = tf.assign_add(w, [1.0, 1.0])
    with compat.Session(backend=backend) as first, compat.Session(backend=backend) as second:
        first.run(w.initializer)
        first.run(inc)
        with pytest.raises(tf.errors.FailedPreconditionError):
            second.run(w)
        second.run(w.initializer)
        np.testing.assert_array_equal(second.run(w), [1.0, 2.0])
        np.testing.assert_array_equal(first.run(w), [2.0, 3.0])
    other = tf.Graph()
    with other.as_default():
        same_name = _ref("w", [100.0, 200.0])
        with compat.Session(graph=other, backend=backend) as sess:
            with pytest.raises(tf.errors.FailedPreconditionError):
                sess.run(same_name)
            assert not sess.run(tf.is_variable_initialized(same_name))
            sess.run(same_name.initializer)
            np.testing.assert_array_equal(sess.run(same_name), [100.0, 200.0])


def test_ref_ops_and_their_results(backend):
    w = _ref("w", [1.0, 2.0, 3.0])
    counter = _ref("counter", 0)
    assigned = tf.assign(w, [4.0, 5.0, 6.0])
    added = tf.assign_sub(w, [1.0, 1.0, 1.0])
    scattered = tf.scatter_add(w, [2], [10.0])
    up = counter.count_up_to(2)
    with tf.get_default_graph().as_default():
        sliced = w[0:1].assign([7.0])
    with compat.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(tf.report_uninitialized_variables()).size == 0
        np.testing.assert_array_equal(sess.run(assigned), [4.0, 5.0, 6.0])
        np.testing.assert_array_equal(sess.run(added), [3.0, 4.0, 5.0])
        np.testing.assert_array_equal(sess.run(scattered), [3.0, 4.0, 15.0])
        np.testing.assert_array_equal(sess.run(sliced), [7.0, 4.0, 15.0])
        assert [sess.run(up), sess.run(up)] == [0, 1]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(up)
        np.testing.assert_array_equal(sess.run("w:0"), [7.0, 4.0, 15.0])
        # a read ordered after an update sees it, as TF1's dereference did
        with tf.get_default_graph().as_default(), tf.control_dependencies([added]):
            after = tf.identity(w)
        np.testing.assert_array_equal(sess.run(after), [6.0, 3.0, 14.0])


@pytest.mark.parametrize("style", ["module", "graph"])
def test_training_matches_numpy(backend, style):
    """Gradient descent on a ref variable against the closed form, built at module level
    (no graph entered) and inside ``with graph.as_default()``."""
    if style == "graph":
        with tf.Graph().as_default() as graph:
            _check_training(backend, graph)
    else:
        _check_training(backend, None)


def _check_training(backend, graph):
    x0 = np.array([1.0, -2.0], np.float32)
    w = _ref("w", x0)
    target = tf.placeholder(tf.float32, [2])
    loss = tf.reduce_sum(tf.square(w - target))
    step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    t = np.array([3.0, 1.0], np.float32)
    expected = x0.copy()
    with compat.Session(graph=graph, backend=backend) as sess:
        sess.run(w.initializer)
        for _ in range(4):
            sess.run(step, {target: t})
            expected = expected - np.float32(0.1) * 2 * (expected - t)
        np.testing.assert_allclose(sess.run(w), expected, rtol=1e-6)


def _train_sparse_model(backend, path):
    tf.reset_default_graph()
    tf.set_random_seed(1)
    emb = tf.get_variable("emb", [20, 4], use_resource=False)
    b = tf.get_variable("b", [], initializer=tf.zeros_initializer(), use_resource=False)
    ids = tf.placeholder(tf.int64, [None])
    y = tf.placeholder(tf.float32, [None])
    pred = tf.reduce_sum(tf.nn.embedding_lookup(emb, ids), 1) + b
    loss = tf.reduce_mean(tf.square(pred - y))
    step = tf.train.get_or_create_global_step()
    lr = tf.train.exponential_decay(0.1, step, 2, 0.9)
    adam = tf.train.AdamOptimizer(lr).minimize(loss, global_step=step)
    adagrad = tf.train.AdagradOptimizer(0.1).minimize(loss)
    momentum = tf.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True).minimize(loss)
    saver = tf.train.Saver()
    rng = np.random.RandomState(0)
    losses = []
    with compat.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(4):
            feed = {ids: rng.randint(0, 20, 8), y: rng.randn(8)}
            losses.append(sess.run([adam, loss], feed)[1])
            losses.append(sess.run([adagrad, loss], feed)[1])
            losses.append(sess.run([momentum, loss], feed)[1])
        values = sess.run([emb, b, step])
        saver.save(sess, path)
    return losses, values, (emb, saver)


@pytest.mark.parity
def test_sparse_training_is_bit_identical_and_checkpoints_cross(tmp_path):
    graph_run = _train_sparse_model("graph", str(tmp_path / "graph" / "m"))
    eager_run = _train_sparse_model("eager", str(tmp_path / "eager" / "m"))
    assert graph_run[0] == eager_run[0]
    for a, b in zip(graph_run[1], eager_run[1]):
        np.testing.assert_array_equal(a, b)
    emb, saver = eager_run[2]
    for backend, source in (("graph", "eager"), ("eager", "graph")):
        with compat.Session(backend=backend) as sess:
            saver.restore(sess, str(tmp_path / source / "m"))
            np.testing.assert_array_equal(sess.run(emb), graph_run[1][0])


def test_a_ref_input_the_eager_backend_cannot_convert_is_named(backend):
    from tensorflow.python.ops import gen_array_ops

    w = _ref("w", [1.0])
    with tf.get_default_graph().as_default():
        aliased = gen_array_ops.ref_identity(w._ref(), name="aliased")  # noqa: SLF001
        value = aliased + 1.0
    with compat.Session(backend=backend) as sess:
        sess.run(w.initializer)
        if backend == "graph":
            np.testing.assert_array_equal(sess.run(value), [2.0])
        else:
            with pytest.raises(tf.errors.UnimplementedError, match="RefIdentity.*'aliased'"):
                sess.run(value)
