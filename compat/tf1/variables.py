"""TF1's switch between ref and resource variables, for TF1 graphs.

TF 1.x built ``VariableV2`` (ref) variables unless the program asked for resource
variables; TF 2.x flips that default for the whole process, and TF1 programs that call
``tf.disable_resource_variables()`` / ``tf.enable_resource_variables()`` flip it back.
The shim keeps TensorFlow's process-wide state as it is and applies the switch to the
graphs TF1 code builds through it (see :func:`compat.tf1.graphs.is_tf1_graph`): after
``compat.v1.disable_resource_variables()`` those graphs get ref variables (what TF1
built; graph tools walking ``op.type`` see ``VariableV2``, ``Assign``, ...), while TF2
code (eager, ``tf.function``, unmarked graphs) keeps TensorFlow's own default. The eager
backend runs ref variables as the session's resource variables
(:mod:`compat.runtime.backends.eager.ref_variables`).

The shim's default for TF1 graphs is resource variables, as TensorFlow 2's: TF 1.x's
default ref variables cannot be updated inside the control flow v2 bodies TensorFlow
2.21 builds for ``tf.cond`` / ``tf.while_loop`` (a batch-norm update under a tensor
``training`` flag, say), which TF 1.x built with v1 control flow. Feeding a variable
still has TF1's default meaning for the variables TF1 code creates without asking for a
kind (:func:`is_tf1_default`, see :mod:`compat.runtime.feeds`).
"""

import threading
import weakref

from tensorflow.python.eager import context
from tensorflow.python.framework import ops
from tensorflow.python.ops import resource_variables_toggle
from tensorflow.python.ops import variable_v1

from compat.tf1 import graphs as _tf1_graphs

__all__ = ["disable_resource_variables", "enable_resource_variables", "install",
           "has_tf1_defaults", "is_tf1_default", "resource_variables_enabled"]

_lock = threading.Lock()
_asked = threading.local()  # TF's creator asked for the default: the next variable is one
_defaults = weakref.WeakKeyDictionary()  # graph -> names of such variables
_tf1_default = {"use_resource": True}   # see the module docstring
_tf_default = resource_variables_toggle.resource_variables_enabled


def enable_resource_variables():
    """TF1's ``tf.enable_resource_variables()``: TF1 graphs create resource variables
    by default from now on (TensorFlow's own default for TF2 code is unchanged)."""
    _tf1_default["use_resource"] = True


def disable_resource_variables():
    """TF1's ``tf.disable_resource_variables()``: TF1 graphs create ref (``VariableV2``)
    variables by default, as TF 1.x did."""
    _tf1_default["use_resource"] = False


def resource_variables_enabled():
    """Whether TF1 graphs create resource variables by default (TF1's
    ``tf.resource_variables_enabled()``)."""
    return _tf1_default["use_resource"]


def _in_tf1_graph():
    if context.executing_eagerly():
        return False
    graph = ops.get_default_graph()
    return not getattr(graph, "building_function", False) and _tf1_graphs.is_tf1_graph(
        graph)


def _default_use_resource():
    """What TensorFlow's variable creators ask when no ``use_resource`` was given."""
    if _in_tf1_graph():
        _asked.default = True
        return _tf1_default["use_resource"]
    return _tf_default()


def has_tf1_defaults(graph):
    """Whether TF1 code created any variable of `graph` without asking for a kind."""
    return bool(_defaults.get(graph))


def is_tf1_default(graph, variable_op_name):
    """Whether TF1 code created the variable `variable_op_name` of `graph` without
    asking for a kind (TF 1.x would have made it a ref variable)."""
    names = _defaults.get(graph)
    return names is not None and variable_op_name in names


def _recording_defaults(creator):
    """Wraps TF's last variable creator: records which variables took the default."""

    def tf1_creator(next_creator=None, **kwargs):
        _asked.default = getattr(_asked, "default", False) and kwargs.get(
            "use_resource") is not False
        try:
            var = creator(next_creator, **kwargs)
        finally:
            asked, _asked.default = getattr(_asked, "default", False), False
        if asked and kwargs.get("variable_def") is None:
            with _lock:
                _defaults.setdefault(var.graph, set()).add(var.op.name)
        return var

    tf1_creator.__compat_tf1_defaults__ = True
    return tf1_creator


def _from_proto(variable_def, import_scope=None):
    """TF 1.15's ``tf.Variable.from_proto``: the kind the proto describes (TF 2's
    ``VariableV1.from_proto`` makes a ref variable of a resource variable's proto)."""
    from tensorflow.python.ops import ref_variable, resource_variable_ops
    if variable_def.is_resource:
        return resource_variable_ops.ResourceVariable(variable_def=variable_def,
                                                      import_scope=import_scope)
    return ref_variable.RefVariable(variable_def=variable_def, import_scope=import_scope)


_FROM_PROTO = staticmethod(_from_proto)


def install():
    """Makes TF's variable creators take TF1's default in TF1 graphs (idempotent)."""
    with _lock:
        if resource_variables_toggle.resource_variables_enabled is not _default_use_resource:
            resource_variables_toggle.resource_variables_enabled = _default_use_resource
        if variable_v1.VariableV1.__dict__.get("from_proto") is not _FROM_PROTO:
            variable_v1.VariableV1.from_proto = _FROM_PROTO
        if not getattr(variable_v1.default_variable_creator, "__compat_tf1_defaults__",
                       False):
            variable_v1.default_variable_creator = _recording_defaults(
                variable_v1.default_variable_creator)
