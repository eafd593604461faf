"""``tensorflow.python.tf2`` as TF1 code saw it: TF2 behaviour is off.

TF1 libraries ask ``from tensorflow.python import tf2; tf2.enabled()`` to pick their
TF 1.x or TF 2.x code path (tensorpack's ``is_tfv2()``, for one). On TF 2.21 the answer
is True, so a library run through the shim takes the path written for TF 2 (``tf.optimizers``,
eager-only APIs) inside a TF1 graph. In TF 1.15 the answer was False unless the program
switched v2 behaviour on process-wide, which the shim never does. ``compat migrate``
rewrites those imports to this module (:data:`compat.tooling.migrate.INTERNAL_MODULES`);
TensorFlow's own module, which TF itself reads, is left alone.
"""

import logging

__all__ = ["disable", "enable", "enabled"]

_log = logging.getLogger("compat")


def enabled():
    """False: TF1 code runs with TF 1.x behaviour in the shim's graphs."""
    return False


def enable():
    """No-op (TF's ``tf2.enable()`` switches the whole process)."""
    _log.info("compat: tf2.enable() ignored; TF1 code keeps TF 1.x behaviour")


def disable():
    """No-op: TF1 code already has TF 1.x behaviour."""
