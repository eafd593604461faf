"""TF1's variables: ``disable_resource_variables()`` gives TF1 graphs what TF 1.x built
(ref variables, ``VariableV2``), ``use_resource`` and ``variable_scope(use_resource=)``
are honoured, TF2 code keeps TensorFlow's default, and both kinds follow TF 1.15's
Python protocol and feed semantics, on both backends, in module style and inside
``with graph.as_default()``."""

import numpy as np
import pytest
import tensorflow as tf2
from tensorflow.python.ops import resource_variables_toggle

import compat
import compat.v1 as tf


@pytest.fixture(params=["default", "ref"])
def kind(request):
    """The shim's default variables (resource variables fed with TF1's meaning), or
    TF 1.x's ref variables after ``tf.disable_resource_variables()``."""
    if request.param == "ref":
        tf.disable_resource_variables()
    try:
        yield request.param
    finally:
        tf.enable_resource_variables()


def _model():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.get_variable("w", [3, 1], initializer=tf.ones_initializer())
    b = tf.Variable(0.5, name="b")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b))
    step = tf.train.AdamOptimizer(0.1).minimize(loss)
    return loss, step


def test_tf1_graphs_hold_what_tf_1x_built():
    """After ``tf.disable_resource_variables()`` the op types of a model built through
    the shim equal those TF's own ``tf.compat.v1`` builds with TF 1.x's default."""
    g = tf.Graph()
    tf.disable_resource_variables()
    try:
        with g.as_default():
            _model()
    finally:
        tf.enable_resource_variables()
    raw = tf2.Graph()
    was = resource_variables_toggle._DEFAULT_USE_RESOURCE
    resource_variables_toggle._DEFAULT_USE_RESOURCE = False
    try:
        with raw.as_default():
            x = tf2.compat.v1.placeholder(tf2.float32, [None, 3], name="x")
            w = tf2.compat.v1.get_variable("w", [3, 1],
                                           initializer=tf2.compat.v1.ones_initializer())
            b = tf2.compat.v1.Variable(0.5, name="b")
            loss = tf2.reduce_mean(tf2.square(tf2.matmul(x, w) + b))
            tf2.compat.v1.train.AdamOptimizer(0.1).minimize(loss)
    finally:
        resource_variables_toggle._DEFAULT_USE_RESOURCE = was
    types = sorted(op.type for op in g.get_operations())
    assert types == sorted(op.type for op in raw.get_operations())
    assert "VariableV2" in types and "VarHandleOp" not in types


def test_the_switch_and_use_resource_are_honoured(style):
    assert tf.resource_variables_enabled()
    assert tf.get_variable("d", [2]).op.type == "VarHandleOp"
    tf.disable_resource_variables()
    try:
        assert not tf.resource_variables_enabled()
        v = tf.get_variable("v", [2])
        w = tf.Variable(1.0, name="w")
        r = tf.get_variable("r", [2], use_resource=True)
        with tf.variable_scope("s", use_resource=True):
            s = tf.get_variable("s", [2])
    finally:
        tf.enable_resource_variables()
    assert v.op.type == "VariableV2" and w.op.type == "VariableV2"
    assert r.op.type == "VarHandleOp" and s.op.type == "VarHandleOp"
    assert tf.get_variable("e", [2], use_resource=False).op.type == "VariableV2"


def test_tf2_code_keeps_tensorflow_s_default():
    """The TF1 default applies to TF1 graphs only: eager variables, tf.function and
    graphs TF2 code makes keep TensorFlow's (resource) variables."""
    tf.disable_resource_variables()
    try:
        tf.get_variable("tf1", [1])  # a TF1 graph exists
        assert isinstance(tf2.Variable(1.0), tf2.Variable)
        assert tf2.compat.v1.resource_variables_enabled()
        with tf2.Graph().as_default():
            assert tf2.compat.v1.get_variable("v", [1]).op.type == "VarHandleOp"
    finally:
        tf.enable_resource_variables()

    @tf2.function
    def f():
        return tf2.constant(1.0) * 2
    assert float(f()) == 2.0


def test_training_the_tf1_graph_agrees_across_backends(style, kind):
    loss, step = _model()
    init = tf.global_variables_initializer()
    batch = {"x": np.arange(6, dtype=np.float32).reshape(2, 3) / 6}
    losses = {}
    for backend in compat.BACKENDS:
        with compat.Session(graph=style, backend=backend) as sess:
            sess.run(init)
            feed = {style.get_tensor_by_name("x:0"): batch["x"]}
            losses[backend] = [sess.run([loss, step], feed)[0] for _ in range(5)]
    assert losses["graph"] == losses["eager"]
    assert losses["graph"][-1] < losses["graph"][0]


def test_tf1_variable_protocol(style, backend, kind):
    """TF 1.15's default variable in Python: in-place operators build a new tensor,
    isinstance, to_proto / from_proto, initial_value, count_up_to, sliced assign, load,
    eval, value / read_value."""
    v = tf.get_variable("v", initializer=[1., 2., 3., 4.])
    c = tf.Variable(0, name="c")
    out = v
    out += 1.
    out *= 2.
    assert isinstance(v, tf.Variable) and not isinstance(out, tf.Variable)
    assert isinstance(c, tf.Variable)
    proto = v.to_proto()
    assert proto.variable_name == "v:0"
    same = tf.Variable.from_proto(proto)
    assert same.name == "v:0" and same.op is v.op
    assert type(same) is type(v)
    sliced = v[1:3].assign([5., 6.])
    up = c.count_up_to(2)
    with compat.Session(graph=style, backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(out), [4., 6., 8., 10.])
        np.testing.assert_array_equal(sess.run(v), [1., 2., 3., 4.])  # v unchanged
        np.testing.assert_array_equal(sess.run(v.initial_value), [1., 2., 3., 4.])
        np.testing.assert_array_equal(sess.run(sliced), [1., 5., 6., 4.])
        np.testing.assert_array_equal(v.eval(session=sess), [1., 5., 6., 4.])
        assert [sess.run(up) for _ in range(2)] == [0, 1]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(up)
        v.load([9., 9., 9., 9.], sess)
        np.testing.assert_array_equal(sess.run([v.value(), v.read_value()]),
                                      [[9.] * 4, [9.] * 4])
        np.testing.assert_array_equal(sess.run(same), [9.] * 4)


def test_feeding_a_variable_replaces_its_value_for_the_run(style, backend, kind):
    """TF 1.x: a fed variable's value is the fed value for every reader in that run (and
    the variable keeps its own value); feeding it into its own update is an error."""
    v = tf.get_variable("v", initializer=[1., 2.])
    y = v * 2.
    z = tf.reduce_sum(tf.identity(v) + v.read_value())
    bump = tf.assign_add(v, [1., 1.])
    with compat.Session(graph=style, backend=backend) as sess:
        sess.run(v.initializer)
        got = sess.run([y, z, v], {v: [5., 6.]})
        np.testing.assert_array_equal(got[0], [10., 12.])
        assert got[1] == 22.
        np.testing.assert_array_equal(got[2], [5., 6.])
        np.testing.assert_array_equal(sess.run(y, {"v:0": [0., 1.]}), [0., 2.])
        np.testing.assert_array_equal(sess.run(y), [2., 4.])
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(bump, {v: [5., 6.]})
        np.testing.assert_array_equal(sess.run(v), [1., 2.])


def test_a_fed_variable_that_an_op_uses_by_handle_is_a_clear_error(style, backend):
    """The shim's default variable is a resource variable: an op that takes the variable
    itself (a gather) cannot see a fed value, so the run raises naming the op instead of
    computing with the stored value (TF 1.x's ref variable would have gathered from the
    fed value: create the variable with use_resource=False for that)."""
    v = tf.get_variable("v", initializer=[1., 2.])
    rows = tf.gather(v, [1, 1])
    with compat.Session(graph=style, backend=backend) as sess:
        sess.run(v.initializer)
        with pytest.raises(tf.errors.UnimplementedError,
                           match=r"Variable 'v' is fed .* op '.*' \(ResourceGather\)"):
            sess.run(rows, {v: [5., 6.]})
        np.testing.assert_array_equal(sess.run(rows), [2., 2.])


def test_explicit_resource_variables_are_fed_as_tf1_fed_them(style, backend):
    """``use_resource=True`` in TF 1.x: the feed key is the variable's first read only."""
    r = tf.get_variable("r", initializer=[1., 2.], use_resource=True)
    y = r * 2.
    with compat.Session(graph=style, backend=backend) as sess:
        sess.run(r.initializer)
        a, b = sess.run([r, y], {r: [5., 6.]})
    np.testing.assert_array_equal(a, [5., 6.])
    np.testing.assert_array_equal(b, [2., 4.])
