"""Which graphs are TF1 code's, and what TF1 code sees of their tensors and variables.

TF1 shapes: ``x.shape[i]`` / ``x.get_shape()[i]`` give a ``Dimension`` (``.value``,
``Dimension(None)`` for an unknown size), as in TF 1.x. TF1 hashing: graph variables
(``set(tf.global_variables())``) and the tensors of function bodies TF1 code builds
(``while_loop``, ``cond``) are hashable by identity, as in TF 1.x, where TF 2 raises
"unhashable" (its tensor equality applies outside TF1 graphs only).

TF1 code reads dimensions that way everywhere (``x.shape[-1].value``); TF2's
``TensorShape`` gives plain ints (and None), so that code fails with AttributeError
on raw TF 2.21 unless ``tf.compat.v1.disable_v2_tensorshape()`` switches the whole
process. The shim keeps the process as it is and gives TF1 shapes only

* for tensors and variables of graphs TF1 code builds through the shim (graphs made
  with ``compat.v1.Graph()``, the TF1 default graph, graphs the shim's API or sessions
  were used on, and the function graphs of TF1 calls such as ``while_loop`` /
  ``cond`` bodies and ``Dataset.map`` functions, built inside a shim API call), and
* to callers outside TensorFlow, Keras, tf-slim and compat itself, whose own code
  keeps TF2 shapes (what it is written for today).

Variables TF1 code creates with ``validate_shape=False`` have an unknown shape, as in
TF 1.x, so an unvalidated ``tf.assign`` can change it (TF 2.x keeps the initial value's
shape).

Everything else about the shape is TensorShape's: it *is* a ``tf.TensorShape``
(a subclass), compares, converts and serializes as one.
"""

import functools
import sys
import threading
import weakref

from tensorflow.python.eager import context
from tensorflow.python.framework import ops
from tensorflow.python.framework import tensor as tensor_lib
from tensorflow.python.framework import tensor_shape
from tensorflow.python.ops import ref_variable
from tensorflow.python.ops import resource_variable_ops
from tensorflow.python.ops import variable_v1
from tensorflow.python.ops import variables

__all__ = ["TF1TensorShape", "install", "is_tf1_graph", "mark_tf1_graph"]

_TF1_GRAPHS = weakref.WeakSet()  # graphs TF1 code builds through the shim
# per thread: how many shim API calls are running (a function graph created inside one,
# a while_loop body say, is TF1 code's)
tf1_calls = threading.local()
_CACHE = "_compat_tf1_shape"
# modules whose code keeps TF2 shapes (written for them): TF, Keras, tf-slim, the shim
_OWN_SHAPES = ("tensorflow", "keras", "tf_keras", "tf_slim", "compat")


class TF1TensorShape(tensor_shape.TensorShape):
    """A ``tf.TensorShape`` that indexes and iterates like TF 1.x's: ``Dimension``
    objects. Slicing, merging and concatenating keep that behaviour."""

    @property
    def _v2_behavior(self):
        return False


def _keeps_tf1(method):
    """`method` of TensorShape, returning TF1 shapes where it returns shapes."""
    @functools.wraps(method)
    def tf1_method(self, *args):
        return _tf1(method(self, *args))

    return tf1_method


for _name in ("__getitem__", "merge_with", "concatenate", "with_rank", "with_rank_at_least",
              "with_rank_at_most"):
    setattr(TF1TensorShape, _name, _keeps_tf1(getattr(tensor_shape.TensorShape, _name)))


def _tf1(value):
    if type(value) is tensor_shape.TensorShape:
        return TF1TensorShape(None if value.rank is None else value.as_list())
    return value


def mark_tf1_graph(graph):
    """Records that TF1 code builds `graph` through the shim (plain graphs only: a
    ``FuncGraph`` is TF2 code's)."""
    if type(graph) is ops.Graph and graph not in _TF1_GRAPHS:
        _TF1_GRAPHS.add(graph)


def is_tf1_graph(graph):
    """Whether TF1 code builds `graph` through the shim: a marked graph, or a function
    graph built inside a shim call (marked then)."""
    if graph in _TF1_GRAPHS:
        return True
    if type(graph) is ops.Graph or not getattr(tf1_calls, "depth", 0):
        return False
    _TF1_GRAPHS.add(graph)  # a function graph built inside a TF1 call
    return True


def _tf1_caller(depth):
    """Whether the code `depth` frames up is TF1 user code (not TF, Keras, tf-slim or
    compat)."""
    try:
        name = sys._getframe(depth).f_globals.get("__name__") or ""
    except ValueError:  # pragma: no cover - no such frame
        return False
    root = name.partition(".")[0]
    return root not in _OWN_SHAPES


def _for_caller(owner, shape):
    """`shape`, as TF1 shows it when `owner` lives in a TF1 graph (cached per
    TensorShape object on `owner`)."""
    cached = owner.__dict__.get(_CACHE)
    if cached is not None and cached[0] is shape:
        return cached[1]
    tf1 = _tf1(shape)
    try:
        owner.__dict__[_CACHE] = (shape, tf1)
    except (AttributeError, TypeError):  # pragma: no cover - no instance dict
        pass
    return tf1


def _tensor_graph(tensor):
    try:
        return tensor._op._graph  # noqa: SLF001 - a SymbolicTensor's graph, without checks
    except AttributeError:  # pragma: no cover - other TF versions
        return tensor.graph


def _variable_graph(var):
    if not getattr(var, "_in_graph_mode", True):
        return None
    try:
        return var.graph
    except (AttributeError, RuntimeError):  # pragma: no cover
        return None


def _patch(cls, name, graph_of):
    """Replaces property/method `name` of `cls` with one that returns TF1 shapes to TF1
    callers on TF1 graphs."""
    original = getattr(cls, name)
    if getattr(original, "__compat_tf1_shape__", False) or getattr(
            getattr(original, "fget", None), "__compat_tf1_shape__", False):
        return

    def view(read):
        def tf1_view(self):
            value = read(self)
            graph = graph_of(self)
            if graph is not None and _tf1_caller(2) and is_tf1_graph(graph):
                return _for_caller(self, value)
            return value

        tf1_view.__compat_tf1_shape__ = True
        tf1_view.__doc__ = read.__doc__
        return tf1_view

    if isinstance(original, property):
        setattr(cls, name, property(view(original.fget), original.fset, original.fdel,
                                    original.__doc__))
    else:
        setattr(cls, name, view(original))


def _patch_hash(cls, graph_of, graph_tensors_only):
    """TF1's identity hash for `cls` objects of TF1 graphs (of TF1 function graphs only
    when `graph_tensors_only`: TF2 already hashes plain-graph tensors)."""
    original = cls.__dict__.get("__hash__") or getattr(cls, "__hash__")
    if original is None or getattr(original, "__compat_tf1_hash__", False):
        return

    def __hash__(self):
        graph = graph_of(self)
        if graph is not None and (not graph_tensors_only or graph.building_function) \
                and is_tf1_graph(graph):
            return id(self)
        return original(self)

    __hash__.__compat_tf1_hash__ = True
    cls.__hash__ = __hash__


_installed = False
_lock = threading.Lock()


def _unvalidated_shapes(creator):
    """TF1's ``validate_shape=False``: the variable's shape is unknown (TF 1.x's ref and
    resource variables alike), so ``tf.assign(v, x, validate_shape=False)`` may give it a
    new shape. TF 2.x keeps the initial value's shape and rejects such an assign while
    building. Only for variables TF1 code creates in its graphs (``tf.Variable`` and
    ``tf.get_variable`` both come here) without an explicit ``shape``."""
    @functools.wraps(creator)
    def tf1_creator(next_creator=None, **kwargs):
        if (kwargs.get("validate_shape") is False and kwargs.get("shape") is None
                and kwargs.get("variable_def") is None
                and not context.executing_eagerly()
                and is_tf1_graph(ops.get_default_graph())):
            kwargs["shape"] = tensor_shape.unknown_shape()
        return creator(next_creator, **kwargs)

    tf1_creator.__compat_tf1__ = True
    return tf1_creator


def install():
    """Installs TF1 shapes and hashing for TF1 graphs (idempotent). Eager tensors and
    variables, and tensors of unmarked graphs, are not affected."""
    global _installed
    with _lock:
        if _installed:
            return
        _patch(ops.SymbolicTensor, "shape", _tensor_graph)
        _patch(ops.SymbolicTensor, "get_shape", _tensor_graph)
        for cls in (resource_variable_ops.BaseResourceVariable, ref_variable.RefVariable):
            _patch(cls, "shape", _variable_graph)
        _patch(variables.Variable, "get_shape", _variable_graph)
        _patch_hash(ops.SymbolicTensor, _tensor_graph, graph_tensors_only=True)
        for cls in (variables.Variable, resource_variable_ops.BaseResourceVariable,
                    ref_variable.RefVariable):
            if "__hash__" in cls.__dict__ or cls is variables.Variable:
                _patch_hash(cls, _variable_graph, graph_tensors_only=False)
        assert tensor_lib.Tensor.shape  # the base property stays as it is
        if not getattr(variable_v1.default_variable_creator, "__compat_tf1__", False):
            variable_v1.default_variable_creator = _unvalidated_shapes(
                variable_v1.default_variable_creator)
        _installed = True
