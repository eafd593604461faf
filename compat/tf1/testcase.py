"""``tf.test.TestCase`` for TF1 test code: its sessions are the shim's.

TF1 unit tests (``class FooTest(tf.test.TestCase)`` with ``self.session()``,
``self.cached_session()``, ``self.test_session()``, ``self.evaluate(t)``, ``t.eval()``
and ``tf.test.compute_gradient`` inside them) get a :class:`compat.Session` on the
backend chosen for the test's module, configured as TensorFlow's test sessions are
(no constant folding, no graph optimizer levels, soft placement unless ``force_gpu``)
and logging a failed ``run`` as TensorFlow's ``ErrorLoggingSession`` does. On the
eager backend no v1 Session is created. Everything else is TensorFlow's TestCase.
"""

from tensorflow.core.protobuf import config_pb2
from tensorflow.core.protobuf import rewriter_config_pb2
from tensorflow.python.eager import context
from tensorflow.python.framework import errors
from tensorflow.python.framework import test_util
from tensorflow.python.platform import tf_logging

from compat.runtime.session import Session

__all__ = ["TestCase"]


class _TestSession(Session):
    """A shim session that logs the error of a failed ``run`` (except the end of
    input, tf.data tests' normal signal) before raising it, as TF's test sessions do."""

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        try:
            return super().run(fetches, feed_dict, options, run_metadata)
        except errors.OutOfRangeError:
            raise
        except Exception as e:
            tf_logging.error(str(e))
            raise


def _test_config(config, force_gpu):
    """The session config TF's TestCase uses: a copy of `config` (default: the
    context's) with soft placement unless ``force_gpu``, graph optimizer level -1,
    and grappler's constant folding and pin-to-host off (tests feed constants on
    purpose)."""
    soft = not force_gpu
    if config is None:
        config = context.context().config
        config.allow_soft_placement = soft
    else:
        own = config_pb2.ConfigProto()
        own.CopyFrom(config)
        config = own
        if not soft:
            config.allow_soft_placement = False
    config.graph_options.optimizer_options.opt_level = -1
    rewrite = config.graph_options.rewrite_options
    rewrite.constant_folding = rewriter_config_pb2.RewriterConfig.OFF
    rewrite.pin_to_host_optimization = rewriter_config_pb2.RewriterConfig.OFF
    return config


class TestCase(test_util.TensorFlowTestCase):
    """TensorFlow's TestCase whose ``session()`` / ``cached_session()`` /
    ``test_session()`` (and through them ``evaluate``) open shim sessions."""

    # user subclasses get the guarded base: test methods build in TF1's default graph
    __compat_guarded_instances__ = True

    def _create_session(self, graph, config, force_gpu):
        return _TestSession(graph=graph, config=_test_config(config, force_gpu))
