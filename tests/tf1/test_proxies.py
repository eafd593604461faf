"""What the shim hands back is what TF 1.15 handed back, to structure checks and to
introspection: TF's namedtuples (``LSTMStateTuple``, decoder outputs) are the tuples
themselves, not proxies (``nest`` takes them apart); a wrapped class's ``__init__`` /
``__call__`` and a wrapped function's signature are the real ones
(``inspect.getfullargspec``)."""

import inspect
import os
import pydoc

import compat
import compat.v1 as tf


def test_namedtuple_results_are_not_proxied(backend):
    S = tf.nn.rnn_cell.LSTMStateTuple
    assert S is tf.nn.rnn_cell.LSTMStateTuple and isinstance(S, type)
    c, h = tf.zeros([3, 4]), tf.ones([3, 4])
    p = tf.placeholder(tf.bool, [])
    out = tf.cond(p, lambda: (c, S(c, h)), lambda: (h, S(h, c)))
    assert type(out[1]) is S and out[1].c.shape == (3, 4)

    def body(i, st):
        _, new = tf.cond(p, lambda: (c, st), lambda: (h, st))
        return i + 1, new

    _, final = tf.while_loop(lambda i, st: i < 3, body, (0, S(c, h)))
    assert type(final) is S
    state = tf.nn.rnn_cell.LSTMCell(4).zero_state(3, tf.float32)
    assert type(state) is S
    with compat.Session(backend=backend) as sess:
        got = sess.run(final, {p: True})
        assert type(got) is S and got.h.shape == (3, 4) and (got.h == 1.).all()


def test_class_attributes_and_signatures_are_the_real_ones():
    assert inspect.getfullargspec(tf.keras.regularizers.L1L2.__init__).args == [
        "self", "l1", "l2"]
    args = inspect.getfullargspec(tf.train.AdamOptimizer.__init__).args
    assert args[:3] == ["self", "learning_rate", "beta1"]
    assert inspect.getfullargspec(tf.layers.dense).args[:2] == ["inputs", "units"]
    assert callable(tf.layers.Dense.__call__)
    assert isinstance(tf.layers.Dense(3), tf.layers.Dense)


def test_module_paths_in_strings_resolve_to_the_shim():
    assert pydoc.locate("compat.v1.train.AdamOptimizer") is tf.train.AdamOptimizer
    assert pydoc.locate("compat.v1.nn.rnn_cell.LSTMCell") is tf.nn.rnn_cell.LSTMCell


def test_wrapped_classes_are_classes_to_inspect():
    assert inspect.isclass(tf.layers.Dense) and isinstance(tf.train.Optimizer, type)
    assert issubclass(tf.train.AdamOptimizer, tf.train.Optimizer)


def test_shim_classes_combine_with_other_metaclasses(backend):
    """``class T(tf.test.TestCase, parameterized.TestCase)`` (absl's metaclass) and
    ``class L(tf.layers.Layer, abc.ABC)`` build, as in TF 1.15, instead of a metaclass
    conflict."""
    import abc
    import unittest

    from absl.testing import parameterized

    class Doubling(tf.test.TestCase, parameterized.TestCase):
        @parameterized.parameters(1., 2.)
        def test_double(self, a):
            self.assertEqual(self.evaluate(tf.constant(a) * 2.), 2. * a)

    class Scale(tf.layers.Layer, abc.ABC):
        def call(self, inputs):
            return inputs * 3.

    with compat.use_backend(backend), open(os.devnull, "w") as quiet:
        result = unittest.TextTestRunner(verbosity=0, stream=quiet).run(
            unittest.defaultTestLoader.loadTestsFromTestCase(Doubling))
    assert result.testsRun >= 2 and not result.failures and not result.errors
    x = tf.placeholder(tf.float32, [2])
    y = Scale()(x)
    with compat.Session(backend=backend) as s:
        assert list(s.run(y, {x: [1., 2.]})) == [3., 6.]
