"""TF ops called from outside ``compat.v1`` on TF1 graph objects, at module level.

TF1 libraries call TensorFlow through more than the public namespace:
``from tensorflow.python.ops import array_ops``, ``math_ops``, ``gen_*_ops``,
tensorflow-probability's ``tf.*`` calls, helper functions of their own that take graph
tensors. In TF 1.x all of these built ops in the default graph. In an eager TF 2 process
the same call at module level (or in a plain function called from there) is executed
eagerly and rejects its graph-tensor arguments with ``TypeError: ... is out of scope``.

The rule, for the whole class at once: an op called while executing eagerly whose
arguments hold tensors, variables or operations of a graph (not a function graph)
builds in that graph, as TF 1.x built in its default graph. It rides on TensorFlow's own
fallback dispatch: every op exported with dispatch support (the public ops and the
generated ``gen_*`` wrappers) hands a call that raised ``TypeError`` or ``ValueError`` to
the registered global dispatchers before re-raising. So only calls that fail today are
affected: eager code with eager tensors, ``tf.function`` tracing and Keras never reach
the dispatcher, and an error that is not about graph tensors is re-raised unchanged
(after the op is retried in the graph, where it raises its graph-mode error).
"""

import threading

from tensorflow.python.eager import context
from tensorflow.python.framework import ops
from tensorflow.python.ops import variables
from tensorflow.python.util import dispatch as _tf_dispatch
from tensorflow.python.util import nest

__all__ = ["graph_of_arguments", "install"]


def _graph_of(value):
    """The guard's own rule: a graph tensor's or operation's graph, a graph variable's
    (partitioned ones included), never a function graph."""
    from compat.tf1 import guard

    if isinstance(value, (ops.SymbolicTensor, ops.Operation)):
        return guard._tensor_graph(value)
    if isinstance(value, (variables.Variable, variables.PartitionedVariable)):
        graph = guard._variable_graph(value)
        return None if getattr(graph, "building_function", False) else graph
    return None


def graph_of_arguments(args, kwargs):
    """The graph of the first graph tensor, variable or operation in the arguments
    (nested structures included), or None."""
    for value in nest.flatten((args, kwargs), expand_composites=False):
        graph = _graph_of(value)
        if graph is not None:
            return graph
    return None


class _GraphArgumentDispatcher(_tf_dispatch.GlobalOpDispatcher):
    """Re-runs an op that failed while eager inside the graph of its graph arguments."""

    def handle(self, op, args, kwargs):
        if not context.executing_eagerly():  # the retry runs in the graph: not eager
            return self.NOT_SUPPORTED
        try:
            graph = graph_of_arguments(args, kwargs)
        except Exception:  # an argument structure nest cannot walk
            return self.NOT_SUPPORTED
        if graph is None:
            return self.NOT_SUPPORTED
        with graph.as_default():
            return op(*args, **kwargs)


_DISPATCHER = _GraphArgumentDispatcher()
_lock = threading.Lock()


def install():
    """Idempotent: registers the dispatcher with TensorFlow's fallback dispatch."""
    with _lock:
        if _DISPATCHER not in _tf_dispatch._GLOBAL_DISPATCHERS:
            _DISPATCHER.register()
