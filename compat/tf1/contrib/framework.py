"""``tf.contrib.framework``: TF1's names that TensorFlow kept elsewhere, and compat's own.

With tf-slim installed, ``tf.contrib.framework`` serves tf-slim's objects (``arg_scope``,
model variables) first.
"""

import types as _types

import tensorflow as _tf
from tensorflow.python.framework import smart_cond as _smart_cond
from tensorflow.python.util import nest as _tf1_nest

_v1 = _tf.compat.v1

__all__ = ["get_name_scope", "symbols"]


def get_name_scope():
    """TF1 ``tf.contrib.framework.get_name_scope``: the default graph's current name
    scope."""
    return _v1.get_default_graph().get_name_scope()


def _nest():
    """TF1's ``tf.contrib.framework.nest``: the whole ``tensorflow.python.util.nest``
    module (flatten_up_to, map_structure_up_to, assert_shallow_structure, ...), with
    TF1's ``is_sequence`` (TF 2 renamed it ``is_nested``)."""
    nest = _types.ModuleType("compat.v1.contrib.framework.nest", _tf1_nest.__doc__)
    nest.__dict__.update((k, v) for k, v in vars(_tf1_nest).items()
                         if not k.startswith("__"))
    nest.is_sequence = _tf1_nest.is_nested
    return nest


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
        "nest": _nest(),
        "smart_cond": _smart_cond.smart_cond,
        "smart_constant_value": _smart_cond.smart_constant_value,
        "sort": _v1.sort,
        "argsort": _v1.argsort,
    }
