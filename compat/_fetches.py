"""Fetch rewriting shared by the backends.

TF1 programs fetch variables by name (``sess.run('scope/w:0')``) and got the
value back, because TF1 variables were reference tensors. TF2's resource
variables make ``'scope/w:0'`` the variable's *handle*; the shim maps a fetched
handle to the variable's read tensor so the value comes back, as in TF1.
"""

import threading

from tensorflow.python.framework import dtypes
from tensorflow.python.framework import ops
from tensorflow.python.framework import tensor as tensor_lib
from tensorflow.python.ops import gen_resource_variable_ops
from tensorflow.python.util import nest

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
                isinstance(f, ops.Operation) or (isinstance(f, tensor_lib.Tensor)
                                                 and f.dtype != dtypes.resource)
                for f in fetches):
            return fetches  # the common training-loop case: nothing to rewrite
        flat = nest.flatten(fetches)
        changed = False
        out = []
        for leaf in flat:
            new = self._resolve_leaf(leaf) if isinstance(leaf, (str, tensor_lib.Tensor)) else leaf
            changed = changed or new is not leaf
            out.append(new)
        if not changed:
            return fetches
        return nest.pack_sequence_as(fetches, out)
