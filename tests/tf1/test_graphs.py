"""TF1 graph semantics for TF1 code: ``x.shape[i]`` is a ``Dimension`` and graph
variables and tensors hash by identity in graphs built through the shim (TF 1.x
behaviour), while TF2 code, TensorFlow itself and graphs the shim never saw keep TF2's
ints and tensor equality; process-wide settings are untouched."""

import numpy as np
import pytest
import tensorflow as tf2
from tensorflow.python.framework import tensor_shape

import compat.v1 as tf

Dimension = tensor_shape.Dimension


def test_tensor_and_variable_dimensions_are_tf1_dimensions(backend):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    assert x.shape[-1].value == 3 and x.get_shape()[1].value == 3
    assert isinstance(x.shape[0], Dimension) and x.shape[0].value is None
    assert [d.value for d in x.shape] == [None, 3]
    assert str(x.shape) == "(?, 3)" and str(x.get_shape()[0]) == "?"
    assert isinstance(x.shape, tf.TensorShape) and x.shape == tf.TensorShape([None, 3])
    assert x.shape.as_list() == [None, 3] and x.shape.ndims == 2
    assert x.shape[1:][0].value == 3  # slices keep TF1 indexing
    assert x.shape.merge_with([5, None])[0].value == 5
    assert x.shape.concatenate([7])[2].value == 7
    w = tf.get_variable("w", [3, 4])
    assert w.shape[1].value == 4 and w.get_shape()[0].value == 3
    # TF1 code computing with dimensions, run on either backend
    y = tf.matmul(x, w) * float(w.shape[0].value)
    z = tf.reshape(y, [-1, y.shape[-1].value * 1])
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        got, kernel = sess.run([z, w], {x: np.ones((2, 3), np.float32)})
    np.testing.assert_allclose(got, np.ones((2, 3)) @ kernel * 3.0, rtol=1e-5)


def test_function_bodies_of_tf1_calls_have_tf1_shapes(backend):
    seen = []

    def body(i, acc):
        seen.append(acc.shape[-1].value)
        return i + 1, acc + tf.ones([acc.shape[0].value, acc.shape[1].value])

    _, out = tf.while_loop(lambda i, acc: i < 3, body, [tf.constant(0), tf.zeros([2, 4])])
    dataset = tf.data.Dataset.from_tensor_slices(np.zeros((5, 6), np.float32)).map(
        lambda row: tf.reshape(row, [row.shape[0].value // 2, 2]))
    element = tf.data.make_one_shot_iterator(dataset).get_next()
    assert seen == [4] and element.shape[0].value == 3
    with tf.Session(backend=backend) as sess:
        assert sess.run(out).tolist() == [[3.0] * 4] * 2
        assert sess.run(element).shape == (3, 2)


def test_tf2_code_and_tensorflow_itself_keep_tf2_shapes():
    setting = tensor_shape._TENSORSHAPE_V2_OVERRIDE
    tf.placeholder(tf.float32, [None, 3])  # the TF1 default graph is TF1 code's now
    assert type(tf2.zeros([3]).shape[0]) is int  # eager tensors
    kinds = []

    @tf2.function
    def native(t):
        kinds.append(type(t.shape[0]))
        return t

    native(tf2.zeros([2]))
    assert kinds == [int]
    with tf2.Graph().as_default():  # a graph the shim never saw
        assert tf2.compat.v1.placeholder(tf2.float32, [None, 2]).shape[1] == 2
    # code in TensorFlow's (or Keras', tf-slim's, compat's) own modules keeps TF2 shapes
    x = tf.placeholder(tf.float32, [None, 5])
    scope = {"__name__": "tensorflow.python.ops.fake_module", "x": x}
    exec("dims = (x.shape[0], x.shape[1], x.get_shape()[1])", scope)
    assert scope["dims"] == (None, 5, 5)
    assert tensor_shape._TENSORSHAPE_V2_OVERRIDE is setting  # process-wide setting untouched


@pytest.mark.parametrize("switch", ["disable_v2_tensorshape", "disable_v2_behavior"])
def test_tf1_shapes_without_process_wide_switches(switch):
    setting = tensor_shape._TENSORSHAPE_V2_OVERRIDE
    getattr(tf, switch)()  # a no-op in the shim: TF1 graphs already have TF1 shapes
    assert tensor_shape._TENSORSHAPE_V2_OVERRIDE is setting
    assert type(tf2.zeros([2]).shape[0]) is int
    assert tf.placeholder(tf.float32, [2]).shape[0].value == 2


def test_graph_variables_and_loop_tensors_hash_by_identity(backend):
    a = tf.get_variable("a", [2])
    b = tf.get_variable("b", [2], trainable=False)
    assert set(tf.global_variables()) - set(tf.trainable_variables()) == {b}
    assert {a: 1}[a] == 1 and (a == b) is False and (a == a) is True and (a != b) is True
    x = tf.placeholder(tf.float32, [2])
    assert {x: 1}[x] == 1 and (x == x) is True
    keys = []

    def body(i, v):
        table = {v: "loop var"}  # TF 1.x: any graph tensor is a dict key
        keys.append(table[v])
        assert (v == v) is True and (v != v) is False
        return i + 1, v * 2

    _, out = tf.while_loop(lambda i, v: i < 3, body, [tf.constant(0), tf.ones([2])])
    assert keys == ["loop var"]
    with tf.Session(backend=backend) as sess:
        assert sess.run(out).tolist() == [8.0, 8.0]
    # TF2 code keeps TF2's rules: eager variables and tf.function tensors are unhashable
    with pytest.raises(TypeError, match="unhashable"):
        hash(tf2.Variable(1.0))

    @tf2.function
    def native(t):
        with pytest.raises(TypeError, match="unhashable"):
            hash(t)
        return t

    native(tf2.zeros([1]))


def test_variable_eval_and_load_with_a_default_session(backend):
    v = tf.Variable(1.5)
    sess = tf.InteractiveSession(backend=backend)
    try:
        v.initializer.run()
        assert v.eval() == 1.5 and (v * 2).eval() == 3.0
        v.load(4.0)
        assert v.eval(session=sess) == 4.0
    finally:
        sess.close()


def test_unvalidated_variables_take_new_shapes(backend, tmp_path):
    """TF1's ``validate_shape=False``: the variable's shape is unknown and an
    unvalidated assign gives it a new one (TF 2.21 keeps the initial shape and rejects
    the assign while building); the new shape is saved and restored."""
    import compat

    v = tf.Variable(tf.zeros([2]), validate_shape=False, name="v")
    w = tf.get_variable("w", initializer=tf.ones([2, 2]), validate_shape=False)
    fixed = tf.Variable(tf.zeros([2]), name="fixed")
    assert v.shape.ndims is None and w.get_shape().ndims is None
    assert fixed.shape.as_list() == [2]
    grow_v = tf.assign(v, tf.zeros([3]) + 1.0, validate_shape=False)
    grow_w = tf.assign(w, tf.concat([w, w * 2.0], 0), validate_shape=False)
    total = tf.reduce_sum(v) + tf.reduce_sum(w)
    with pytest.raises(ValueError, match="Shape mismatch"):
        tf.assign(fixed, tf.zeros([3]))  # validated variables keep TF1's check
    saver = tf.train.Saver()
    with compat.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(total) == 4.0
        np.testing.assert_array_equal(sess.run(grow_v), [1.0, 1.0, 1.0])
        assert sess.run(grow_w).shape == (4, 2)
        assert sess.run(total) == 3.0 + 12.0
        path = saver.save(sess, str(tmp_path / "model"))
        sess.run(tf.global_variables_initializer())
        assert sess.run(tf.shape(w)).tolist() == [2, 2]
        saver.restore(sess, path)
        assert sess.run(tf.shape(w)).tolist() == [4, 2] and sess.run(total) == 15.0
    # TF2 code keeps TF2's rule: the initial value's shape
    assert tf2.Variable(tf2.zeros([2]), validate_shape=False).shape.as_list() == [2]
    with tf2.Graph().as_default():
        assert tf2.compat.v1.Variable(tf2.zeros([2]), validate_shape=False).shape == [2]
