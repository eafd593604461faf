"""``tf.contrib.framework``: TF1's names that TensorFlow kept elsewhere, and compat's own.

With tf-slim installed, ``tf.contrib.framework`` serves tf-slim's objects (``arg_scope``,
model variables) first.
"""

import tensorflow as _tf

_v1 = _tf.compat.v1

__all__ = ["get_name_scope", "symbols"]


def get_name_scope():
    """TF1 ``tf.contrib.framework.get_name_scope``: the default graph's current name
    scope."""
    return _v1.get_default_graph().get_name_scope()


def symbols():
    """The names ``tf.contrib.framework`` serves from this module."""
    return {
        "get_or_create_global_step": _v1.train.get_or_create_global_step,
        "get_global_step": _v1.train.get_global_step,
        # TF1 contrib.framework names that TensorFlow itself kept elsewhere
        "list_variables": _v1.train.list_variables,
        "load_variable": _v1.train.load_variable,
        "init_from_checkpoint": _v1.train.init_from_checkpoint,
        "get_name_scope": get_name_scope,
        "is_tensor": _v1.is_tensor,
        "nest": _tf.nest,
        "sort": _v1.sort,
        "argsort": _v1.argsort,
    }
