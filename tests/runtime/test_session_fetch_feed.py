"""Session fetch and feed semantics, on every backend (TF1's behaviour is the spec)."""

import collections

import attr
import numpy as np
import pytest

import compat
import compat.v1 as tf

Pair = collections.namedtuple("Pair", ["a", "b"])


@attr.s
class Attrs:
    a = attr.ib()
    b = attr.ib()


@pytest.fixture
def model(graph):
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    with tf.variable_scope("scope"):
        w = tf.get_variable("w", [2], initializer=tf.constant_initializer([1.0, 2.0]))
    y = tf.reduce_sum(x * w, axis=1, name="y")
    z = tf.identity(y * 2.0, name="z")
    init = tf.global_variables_initializer()
    return dict(x=x, w=w, y=y, z=z, init=init, graph=graph)


def _session(model, backend):
    sess = compat.Session(graph=model["graph"], backend=backend)
    sess.run(model["init"])
    return sess


X = np.array([[1.0, 1.0], [2.0, 0.0]], np.float32)


def test_fetch_single_tensor_and_op(model, backend):
    sess = _session(model, backend)
    np.testing.assert_array_equal(sess.run(model["y"], {model["x"]: X}), [3.0, 2.0])
    assert sess.run(model["init"]) is None
    assert sess.backend == backend


@pytest.mark.parametrize("kind", ["list", "tuple", "namedtuple", "dict", "ordereddict",
                                  "attrs", "nested"])
def test_fetch_structures(model, backend, kind):
    sess = _session(model, backend)
    y, z, init = model["y"], model["z"], model["init"]
    fetches = {
        "list": [y, z, init],
        "tuple": (y, z, init),
        "namedtuple": Pair(y, z),
        "dict": {"y": y, "z": z, "op": init},
        "ordereddict": collections.OrderedDict([("z", z), ("y", y)]),
        "attrs": Attrs(y, [z, init]),
        "nested": {"a": [y, (z, {"b": y})], "c": Pair(init, z)},
    }[kind]
    out = sess.run(fetches, {model["x"]: X})
    expected_y, expected_z = np.array([3.0, 2.0]), np.array([6.0, 4.0])
    if kind == "list":
        assert isinstance(out, list) and out[2] is None
        np.testing.assert_array_equal(out[0], expected_y)
        np.testing.assert_array_equal(out[1], expected_z)
    elif kind == "tuple":
        assert isinstance(out, tuple) and out[2] is None
        np.testing.assert_array_equal(out[1], expected_z)
    elif kind == "namedtuple":
        assert isinstance(out, Pair)
        np.testing.assert_array_equal(out.b, expected_z)
    elif kind == "dict":
        assert set(out) == {"y", "z", "op"} and out["op"] is None
        np.testing.assert_array_equal(out["y"], expected_y)
    elif kind == "ordereddict":
        assert isinstance(out, collections.OrderedDict) and list(out) == ["z", "y"]
    elif kind == "attrs":
        assert isinstance(out, Attrs) and out.b[1] is None
        np.testing.assert_array_equal(out.b[0], expected_z)
    else:
        np.testing.assert_array_equal(out["a"][1][1]["b"], expected_y)
        assert isinstance(out["c"], Pair) and out["c"].a is None


def test_fetch_dict_with_keys_of_any_type(model, backend):
    """TF1 accepts any hashable keys (MonitoredSession fetches by hook objects), also
    when a variable fetched by name is rewritten to its value."""
    class Hook:
        pass

    hook = Hook()
    sess = _session(model, backend)
    got = sess.run({"caller": model["y"], hook: "scope/w:0", 3: [model["z"]]}, {model["x"]: X})
    assert list(got) == ["caller", hook, 3]
    np.testing.assert_allclose(got["caller"], [3.0, 2.0])
    np.testing.assert_array_equal(got[hook], [1.0, 2.0])
    np.testing.assert_allclose(got[3][0], [6.0, 4.0])


def test_fetch_duplicates_and_names(model, backend):
    sess = _session(model, backend)
    out = sess.run([model["y"], "y:0", model["y"], "z:0"], {"x:0": X})
    for value in out[:3]:
        np.testing.assert_array_equal(value, [3.0, 2.0])
    np.testing.assert_array_equal(out[3], [6.0, 4.0])
    assert sess.run("init") is None  # an op name fetches the op


def test_fetch_variable_and_variable_name_returns_value(model, backend):
    sess = _session(model, backend)
    np.testing.assert_array_equal(sess.run(model["w"]), [1.0, 2.0])
    np.testing.assert_array_equal(sess.run("scope/w:0"), [1.0, 2.0])
    np.testing.assert_array_equal(sess.run(["scope/w:0", model["w"].handle])[1], [1.0, 2.0])


def test_fetch_sparse_tensor_and_indexed_slices(graph, backend):
    st = tf.SparseTensor(indices=[[0, 1], [2, 3]], values=[1.5, 2.5], dense_shape=[3, 4])
    params = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.variable_scope("v"):
        table = tf.get_variable("t", initializer=params)
    ids = tf.constant([1])
    slices = tf.gradients(tf.reduce_sum(tf.gather(table, ids)), table)[0]
    sess = compat.Session(backend=backend)
    sess.run(tf.global_variables_initializer())
    value = sess.run(st)
    assert isinstance(value, tf.SparseTensorValue)
    np.testing.assert_array_equal(value.indices, [[0, 1], [2, 3]])
    np.testing.assert_array_equal(value.values, [1.5, 2.5])
    np.testing.assert_array_equal(value.dense_shape, [3, 4])
    sv = sess.run(slices)
    assert type(sv).__name__ == "IndexedSlicesValue"
    np.testing.assert_array_equal(sv.indices, [1])
    np.testing.assert_array_equal(sv.values, [[1.0, 1.0]])


def test_feed_sparse_tensor_value(graph, backend):
    sp = tf.sparse_placeholder(tf.float32, name="sp")
    total = tf.sparse_reduce_sum(sp)
    sess = compat.Session(backend=backend)
    value = tf.SparseTensorValue(indices=[[0, 0], [1, 2]], values=[2.0, 3.0],
                                 dense_shape=[2, 3])
    assert sess.run(total, {sp: value}) == 5.0
    assert sess.run(total, {sp: (np.array([[0, 1]]), np.array([4.0], np.float32),
                                 np.array([1, 2]))}) == 4.0


def test_feed_intermediate_tensor_skips_upstream(graph, backend):
    counter = tf.Variable(0, name="counter")
    bumped = tf.identity(counter.assign_add(1), name="bumped")
    out = bumped * 10
    sess = compat.Session(backend=backend)
    sess.run(counter.initializer)
    assert sess.run(out, {bumped: 5}) == 50
    assert sess.run(counter) == 0
    assert sess.run(out) == 10
    assert sess.run(counter) == 1


def test_fetching_fed_tensor_returns_fed_value(model, backend):
    sess = _session(model, backend)
    np.testing.assert_array_equal(sess.run(model["x"], {model["x"]: X}), X)
    np.testing.assert_array_equal(sess.run(model["z"], {model["y"]: [1.0]}), [2.0])


@pytest.mark.parametrize("case", ["shape", "dtype", "tensor_value", "bad_key", "not_feedable",
                                  "int_overflow"])
def test_feed_errors(model, backend, case):
    sess = _session(model, backend)
    graph = model["graph"]
    y = model["y"]
    if case == "shape":
        with pytest.raises(ValueError, match="Cannot feed value of shape"):
            sess.run(y, {model["x"]: np.ones((2, 3))})
    elif case == "dtype":
        with pytest.raises(ValueError):
            sess.run(y, {model["x"]: [["a", "b"]]})
    elif case == "tensor_value":
        with pytest.raises(TypeError, match="cannot be a tf.Tensor"):
            sess.run(y, {model["x"]: model["z"]})
    elif case == "bad_key":
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key"):
            sess.run(y, {"nope:0": X})
    elif case == "not_feedable":
        graph.prevent_feeding(model["z"])
        with pytest.raises(ValueError, match="may not be fed"):
            sess.run(y, {model["z"]: [1.0]})
    else:
        small = tf.placeholder(tf.int32, [], name="small")
        with pytest.raises(TypeError, match="not compatible with Tensor type"):
            sess.run(small + 1, {small: 2 ** 40})


def test_unfed_placeholder_is_invalid_argument(model, backend):
    sess = _session(model, backend)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"You must feed a value for placeholder tensor 'x' with dtype "
                             r"float and shape \[\?,2\]"):
        sess.run(model["y"])


def test_fetch_errors(model, backend):
    sess = _session(model, backend)
    with pytest.raises(TypeError):
        sess.run(None)
    with pytest.raises(ValueError):
        sess.run("does_not_exist:0")
    with pytest.raises(TypeError):
        sess.run(3.5)


def test_kernel_error_surfaces_at_run(graph, backend):
    params = tf.constant([[1.0], [2.0]])
    ids = tf.placeholder(tf.int32, [None])
    out = tf.gather(params, ids)
    sess = compat.Session(backend=backend)
    np.testing.assert_array_equal(sess.run(out, {ids: [1]}), [[2.0]])
    with pytest.raises(tf.errors.InvalidArgumentError):
        sess.run(out, {ids: [7]})


def test_empty_graph_raises_runtime_error(backend):
    g = tf.Graph()
    sess = compat.Session(graph=g, backend=backend)
    with pytest.raises(RuntimeError, match="graph is empty"):
        sess.run([])


def test_graph_must_be_a_graph(backend):
    with pytest.raises(TypeError, match="graph must be a tf.Graph"):
        compat.Session(graph="nope", backend=backend)


def test_make_callable(model, backend):
    sess = _session(model, backend)
    call = sess.make_callable([model["y"], model["z"]], feed_list=[model["x"]])
    y, z = call(X)
    np.testing.assert_array_equal(z, [6.0, 4.0])


def test_target_op_downstream_of_a_stateful_cond_runs_it(backend):
    """Running a stateless op (as a target) runs the stateful ops it depends on, as
    batch-norm's UPDATE_OPS (an Identity after a cond that assigns) rely on."""
    v = tf.Variable(0.0, name="counter")
    flag = tf.placeholder(tf.bool, [])
    out = tf.cond(flag, lambda: tf.assign_add(v, 1.0), lambda: tf.identity(v))
    target = tf.identity(out).op
    with tf.Session(backend=backend) as sess:
        sess.run(v.initializer)
        sess.run(target, {flag: True})
        sess.run([target], {flag: True})
        sess.run(target, {flag: False})
        assert sess.run(v) == 2.0


def test_repeated_runs_of_one_structure_keep_tf1_results_and_checks(backend):
    """The eager backend's per-structure fast path must not change any result or check."""
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    n = tf.placeholder(tf.int32, [], name="n")
    v = tf.Variable(1.0)
    y = x * v
    n2 = n * 2
    bump = tf.assign_add(v, 1.0).op
    nothing = tf.no_op()
    data = np.ones((3, 2), np.float32)
    with tf.Session(backend=backend) as sess:
        sess.run(v.initializer)
        fetch_list = [y, n2, y, nothing]  # an op fetch returns None
        for i in range(3):
            out = sess.run(fetch_list, {x: data, n: np.array(i, np.int32)})
            assert out[1] == 2 * i and out[3] is None and np.array_equal(out[0], out[2])
            sess.run(bump)
        np.testing.assert_array_equal(out[0], data * 3.0)
        assert sess.run((y, n2), {x: data, n: np.array(4, np.int32)})[1] == 8
        assert isinstance(sess.run((y,), {x: data}), tuple)
        assert set(sess.run({"y": y, "op": bump}, {x: data})) == {"y", "op"}
        sess.run(v.assign(1.0))
        # same structure, values that need conversion or fail the checks
        np.testing.assert_array_equal(sess.run(fetch_list, {x: [[1, 2]], n: 0})[0],
                                      [[1.0, 2.0]])
        with pytest.raises(ValueError, match="Cannot feed value of shape"):
            sess.run(fetch_list, {x: np.ones((2, 3), np.float32), n: np.array(0, np.int32)})
        np.testing.assert_array_equal(
            sess.run(fetch_list, {x: np.ones((1, 2), np.float64), n: np.array(0, np.int32)})[0],
            [[1.0, 1.0]])
        # a fed tensor that is also fetched returns the fed value
        fed = np.full((1, 2), 3.0, np.float32)
        for _ in range(2):
            np.testing.assert_array_equal(sess.run([y, x], {x: fed})[1], fed)
            np.testing.assert_array_equal(sess.run([y], {y: fed})[0], fed)


def test_repeated_fetches_of_variables_and_assign_results(backend):
    """TF1 training loops fetch the global step and assign results (a resource
    variable's assign returns a variable-like object) every step; repeated runs of one
    such structure give TF1's values: the assign's result is the value after it, a
    variable fetched beside it reads the current value."""
    x = tf.placeholder(tf.float32, [None], name="x")
    v = tf.get_variable("v", [], initializer=tf.zeros_initializer(), use_resource=True)
    step = tf.train.get_or_create_global_step()
    loss = tf.reduce_sum(x * v)
    train = tf.group(tf.assign_add(v, 1.0), tf.assign_add(step, 1))
    bumped = tf.assign_add(v, 10.0)
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        for i in range(1, 4):
            _, got_step = sess.run([train, step])
            assert got_step in (i - 1, i)  # TF1: the read races the update within one run
            assert sess.run(step) == i
            out = sess.run({"loss": loss, "v": v}, {x: np.ones(2, np.float32)})
            assert out["v"] == pytest.approx(11.0 * i - 10.0)
            assert out["loss"] == pytest.approx(2 * out["v"])
            assert sess.run(bumped) == pytest.approx(11.0 * i)
            assert sess.run([bumped])[0] == pytest.approx(11.0 * i + 10.0)
            sess.run(tf.assign_add(v, -10.0))


@pytest.fixture
def tf1_control_flow():
    """Graphs built now use TF1 (v1) control flow: Enter/Exit/Switch/Merge, as in graphs
    built by TF 1.x (MetaGraphs, frozen graphs, dynamic_rnn)."""
    import tensorflow as tf2

    tf2.compat.v1.disable_control_flow_v2()
    try:
        yield
    finally:
        tf2.compat.v1.enable_control_flow_v2()


def test_tf1_control_flow_with_stateful_ops_runs(tf1_control_flow, graph, backend):
    """A TF1 while_loop whose body updates a variable and a TF1 cond with a stateful
    branch (the eager backend failed: 'inputs from different frames')."""
    a = tf.placeholder(tf.float32, [], name="a")
    counter = tf.get_variable("counter", [], tf.int32, tf.zeros_initializer())

    def body(i, acc):
        with tf.control_dependencies([tf.assign_add(counter, 1)]):
            return i + 1, acc * 2.0

    _, looped = tf.while_loop(lambda i, acc: i < 3, body, [0, a])
    branch = tf.cond(a > 0, lambda: tf.assign_add(counter, 10), lambda: tf.identity(counter))
    assert {"Enter", "Exit", "Switch", "Merge"} <= {op.type for op in graph.get_operations()}
    with compat.Session(graph=graph, backend=backend) as sess:
        sess.run(counter.initializer)
        assert sess.run(looped, {a: 1.5}) == 12.0
        assert sess.run(counter) == 3
        assert sess.run(branch, {a: 1.0}) == 13
        assert sess.run(branch, {a: -1.0}) == 13
        out = sess.run([looped, counter], {a: 1.0})
        assert out[0] == 8.0 and sess.run(counter) == 16


def test_session_handles_run_on_graph_and_name_the_way_out_on_eager(backend):
    """TF1 session handles (tensors kept in the v1 Session between runs): the graph
    backend runs them; eager has no such state and says so, naming the ops and the
    graph backend, with variables unchanged."""
    v = tf.Variable(10.0, name="v")
    inc = tf.assign_add(v, 1.0)
    handle_op = tf.get_session_handle(inc * 2.0)
    with tf.Session(backend=backend) as sess:
        sess.run(v.initializer)
        if backend == "graph":
            handle = sess.run(handle_op)
            holder, stored = tf.get_session_tensor(handle.handle, tf.float32)
            assert sess.run(stored * 3.0, {holder: handle.handle}) == 66.0
            assert handle.eval() == 22.0
        else:
            with pytest.raises(tf.errors.UnimplementedError,
                               match=r"GetSessionHandle.*graph backend"):
                sess.run(handle_op)
        assert sess.run(v) == (11.0 if backend == "graph" else 10.0)
