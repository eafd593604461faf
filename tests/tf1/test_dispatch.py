"""TF ops reached outside ``compat.v1`` (``tensorflow.python.ops.*``, the ``tensorflow``
namespace a library also imports, helpers of its own) on TF1 graph tensors build in the
tensors' graph when called while eager, at module level and in plain functions, as TF
1.x built them in the default graph; inside ``with graph.as_default()`` nothing
changes; eager code and its errors stay TF 2's. Both backends run the result."""

import numpy as np
import pytest
import tensorflow as tf2
from tensorflow.python.ops import array_ops, math_ops, nn_ops

import compat
import compat.v1 as tf


def _library_helper(x, w):
    """A library's own function, written against TF's internals (called from module
    level in module style)."""
    h = math_ops.matmul(x, w)
    h = nn_ops.relu(array_ops.concat([h, -h], axis=1))
    return tf2.reduce_sum(h, axis=1), array_ops.shape(h)


def test_internal_ops_on_graph_tensors_build_in_their_graph(style, backend):
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w = tf.get_variable("w", initializer=np.array([[1., -2.], [3., 0.5]], np.float32))
    total, shape = _library_helper(x, w)
    grad, = tf.gradients(total, w)
    assert total.graph is style and shape.graph is style and grad.graph is style
    xs = np.array([[1., 2.], [-1., 0.5], [0., 0.]], np.float32)
    with compat.Session(graph=style, backend=backend) as s:
        s.run(tf.global_variables_initializer())
        got_total, got_shape, got_grad = s.run([total, shape, grad], {x: xs})
    h = xs @ np.array([[1., -2.], [3., 0.5]], np.float32)
    np.testing.assert_allclose(got_total, np.abs(h).sum(1), rtol=1e-6)
    np.testing.assert_array_equal(got_shape, [3, 4])
    # d/dw sum|xw| = x^T sign(xw)
    np.testing.assert_allclose(got_grad, xs.T @ np.sign(h), rtol=1e-6)


def test_variables_and_partitioned_variables_as_arguments(backend):
    v = tf.get_variable("v", [4, 2], initializer=tf.ones_initializer(),
                        partitioner=tf.fixed_size_partitioner(2))
    r = tf.get_variable("r", initializer=[1., 2.])
    total = math_ops.reduce_sum(array_ops.concat([tf2.convert_to_tensor(v), v.as_tensor() * 2.], 0))
    doubled = math_ops.multiply(r, 2.)
    ref = tf.get_variable("ref", initializer=[3.], use_resource=False)  # TF1's kind
    tripled = math_ops.multiply(ref, 3.)
    assert total.graph is tf.get_default_graph() and doubled.graph is total.graph
    assert tripled.graph is total.graph
    with compat.Session(backend=backend) as s:
        s.run(tf.global_variables_initializer())
        np.testing.assert_allclose(s.run([total, doubled])[0], 24.)
        np.testing.assert_allclose(s.run(doubled), [2., 4.])
        np.testing.assert_allclose(s.run(tripled), [9.])


def test_graph_errors_are_the_graph_errors():
    """A call that is wrong in the graph too raises TF's graph-mode error."""
    x = tf.placeholder(tf.float32, [2, 3])
    with pytest.raises(ValueError, match="must be compatible|Dimensions must be equal"):
        math_ops.matmul(x, tf.ones([2, 2]))
    with pytest.raises(TypeError):
        math_ops.add(x, tf.constant([1, 2, 3], tf.int32))


def test_eager_code_keeps_tf2_behaviour_and_errors():
    assert tf2.executing_eagerly()
    got = math_ops.matmul(tf2.ones([2, 3]), tf2.ones([3, 1]))
    np.testing.assert_array_equal(got.numpy(), [[3.], [3.]])
    with pytest.raises(tf2.errors.InvalidArgumentError):
        tf2.matmul(tf2.ones([2, 3]), tf2.ones([2, 3]))
    with pytest.raises((TypeError, ValueError, tf2.errors.InvalidArgumentError)):
        tf2.add(tf2.ones([2]), "text")
    assert len(tf.get_default_graph().get_operations()) == 0


def test_tensors_of_another_tf_function_are_not_captured():
    """Inside ``tf.function`` tracing TF 2's rules hold (no dispatch: not eager)."""
    x = tf.placeholder(tf.float32, [2])

    @tf2.function
    def f():
        return math_ops.add(x, 1.)

    with pytest.raises(Exception, match="out of scope|captur|Graph tensor"):
        f()
