"""Fetch rewriting shared by the backends.

TF1 programs fetch variables by name (``sess.run('scope/w:0')``) and got the
value back, because TF1 variables were reference tensors. TF2's resource
variables make ``'scope/w:0'`` the variable's *handle*; the shim maps a fetched
handle to the variable's read tensor so the value comes back, as in TF1.
"""

import collections.abc
import copy
import threading

from tensorflow.python.framework import dtypes
from tensorflow.python.framework import ops
from tensorflow.python.framework import tensor as tensor_lib
from tensorflow.python.ops import gen_resource_variable_ops
from tensorflow.python.ops import variables

__all__ = ["FetchResolver"]

_VAR_HANDLE_OPS = frozenset({"VarHandleOp", "_VarHandlesOp"})


class FetchResolver:
    """Maps variable-handle fetches of one graph to their value tensors (cached)."""

    def __init__(self, graph):
        self._graph = graph
        self._names = {}
        self._reads = {}
        self._lock = threading.Lock()

    def read_tensor(self, handle):
        """The tensor reading the variable behind `handle` (created if missing)."""
        key = handle.name
        read = self._reads.get(key)
        if read is not None:
            return read
        op = handle.op
        wanted = op.name + "/Read/ReadVariableOp"
        candidates = [c for c in handle.consumers() if c.type == "ReadVariableOp"]
        chosen = None
        for c in candidates:
            if c.name == wanted:
                chosen = c
                break
        if chosen is None:
            for c in candidates:
                if not c.control_inputs:
                    chosen = c
                    break
        if chosen is not None:
            read = chosen.outputs[0]
        else:
            dtype = dtypes.as_dtype(op.get_attr("dtype"))
            with self._graph.as_default(), ops.name_scope(op.name + "/compat_read/"):
                read = gen_resource_variable_ops.read_variable_op(handle, dtype)
        with self._lock:
            self._reads[key] = read
        return read

    def _resolve_leaf(self, leaf):
        if isinstance(leaf, str):
            cached = self._names.get(leaf)
            if cached is not None:
                return cached
            try:
                element = self._graph.as_graph_element(
                    leaf, allow_tensor=True, allow_operation=True)
            except (KeyError, ValueError, TypeError):
                return leaf
            if (isinstance(element, tensor_lib.Tensor) and element.dtype == dtypes.resource
                    and element.op.type in _VAR_HANDLE_OPS):
                resolved = self.read_tensor(element)
            else:
                resolved = leaf
            with self._lock:
                self._names[leaf] = resolved
            return resolved
        if (isinstance(leaf, tensor_lib.Tensor) and leaf.dtype == dtypes.resource
                and getattr(leaf, "graph", None) is self._graph
                and leaf.op.type in _VAR_HANDLE_OPS):
            return self.read_tensor(leaf)
        return leaf

    def resolve(self, fetches):
        """Returns `fetches` with variable handles replaced by value reads."""
        if isinstance(fetches, tensor_lib.Tensor):
            if fetches.dtype != dtypes.resource:
                return fetches
            return self._resolve_leaf(fetches)
        if isinstance(fetches, (str, bytes)):
            return self._resolve_leaf(fetches)
        if isinstance(fetches, ops.Operation):
            return fetches
        if type(fetches) in (list, tuple) and all(
                isinstance(f, (ops.Operation, variables.Variable))
                or (isinstance(f, tensor_lib.Tensor) and f.dtype != dtypes.resource)
                for f in fetches):
            # the common training-loop case (ops, values, the global step, an assign's
            # result; a variable fetches its value): nothing to rewrite
            return fetches
        return self._rewrite(fetches)

    def _rewrite(self, fetches):
        """`fetches` with handle leaves replaced, rebuilt only where something changed.
        Walks the structures a v1 Session accepts (lists, tuples, namedtuples, mappings
        with keys of any type, e.g. MonitoredSession's hook objects, attrs classes)
        without sorting keys."""
        if isinstance(fetches, (str, tensor_lib.Tensor)):
            return self._resolve_leaf(fetches)
        if isinstance(fetches, collections.abc.Mapping):
            items = [(k, self._rewrite(v)) for k, v in fetches.items()]
            if all(new is fetches[k] for k, new in items):
                return fetches
            out = copy.copy(fetches)
            for k, new in items:
                out[k] = new
            return out
        if isinstance(fetches, (list, tuple)):
            values = [self._rewrite(f) for f in fetches]
            if all(new is old for new, old in zip(values, fetches)):
                return fetches
            if isinstance(fetches, tuple) and hasattr(fetches, "_fields"):  # namedtuple
                return type(fetches)(*values)
            return type(fetches)(values)
        fields = getattr(type(fetches), "__attrs_attrs__", None)
        if fields is not None:
            values = [self._rewrite(getattr(fetches, f.name)) for f in fields]
            if all(new is getattr(fetches, f.name) for new, f in zip(values, fields)):
                return fetches
            return type(fetches)(*values)
        return fetches
