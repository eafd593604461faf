"""Feeding a variable, as TF 1.x's default variables meant it.

In TF 1.x, ``sess.run(v * 2., {v: [5., 5.]})`` fed the variable's ref tensor: every op
reading the variable in that run saw the fed value (``[10., 10.]``), and the variable
kept its own value. TF1 graphs built through the shim hold resource variables, whose
feed key (the variable's first read) is only one of its reads: fed as it is, the run
would silently compute with the variable's stored value (``[2., 2.]``). So a feed whose
key is such a variable (the variable, or its handle by name, ``'v:0'``) feeds every read
of the variable in the graph; an op of the run that uses the variable itself rather than
a read (an update, a gather, a control-flow body) raises, naming the op, instead of
computing with the stored value.

This applies to the variables TF1 code created without asking for a kind (TF 1.x made
those ref variables; :func:`compat.tf1.variables.is_tf1_default`). Variables created
with ``use_resource=True`` are fed as TF 1.x fed resource variables (the key is the
variable's first read only), and ref variables (``disable_resource_variables()``, graphs
from TF 1.x) by TensorFlow's own semantics.
"""

from tensorflow.python.client import session as tf_session
from tensorflow.python.framework import dtypes
from tensorflow.python.framework import errors
from tensorflow.python.framework import tensor as tensor_lib
from tensorflow.python.ops import resource_variable_ops

from compat.runtime.fetches import _VAR_HANDLE_OPS
from compat.tf1.variables import has_tf1_defaults, is_tf1_default

__all__ = ["VariableFeeds"]

_UPDATES = ("Assign", "ResourceApply", "ResourceSparseApply", "ResourceScatter",
            "ResourceStridedSliceAssign", "DestroyResourceOp")


class VariableFeeds:
    """Rewrites the feeds of one graph's runs: a fed resource variable feeds all of its
    reads."""

    def __init__(self, graph):
        self._graph = graph

    def handle_of(self, key):
        """The variable handle tensor a feed key names, or None for other keys."""
        if isinstance(key, resource_variable_ops.BaseResourceVariable):
            handle = key.handle if getattr(key, "_in_graph_mode", False) else None
        elif isinstance(key, tensor_lib.Tensor):
            if key.dtype != dtypes.resource:  # a placeholder, the common case
                return None
            handle = key
        elif isinstance(key, str):
            try:
                handle = self._graph.as_graph_element(key, allow_tensor=True,
                                                      allow_operation=False)
            except (KeyError, ValueError, TypeError):
                return None
        else:
            return None
        if (isinstance(handle, tensor_lib.Tensor) and handle.dtype == dtypes.resource
                and handle.op.type in _VAR_HANDLE_OPS and handle.graph is self._graph
                and is_tf1_default(self._graph, handle.op.name)):
            return handle
        return None

    def any_variable(self, keys):
        return any(self.handle_of(k) is not None for k in keys)

    def resolve(self, fetches, feed_dict):
        """`feed_dict` with each fed variable replaced by feeds of all its reads
        (`feed_dict` itself when it feeds no variable)."""
        if not feed_dict or not has_tf1_defaults(self._graph):
            return feed_dict
        handles = {}
        for key in feed_dict:
            handle = self.handle_of(key)
            if handle is not None:
                handles[key] = handle
        if not handles:
            return feed_dict
        out = {k: v for k, v in feed_dict.items() if k not in handles}
        fed = set()
        for key, handle in handles.items():
            users = handle.consumers()
            updates = {op.name for op in users if op.type != "ReadVariableOp"}
            for op in users:
                # a read ordered after an update of the variable is that update's result
                # (TF1's ref output of the assign), not a read of the fed value
                if op.type == "ReadVariableOp" and not any(
                        c.name in updates for c in op.control_inputs):
                    out.setdefault(op.outputs[0], feed_dict[key])
                    fed.add(op.outputs[0].ref())
        for key in out:
            try:
                fed.add(self._graph.as_graph_element(key, allow_tensor=True,
                                                     allow_operation=False).ref())
            except (KeyError, ValueError, TypeError, AttributeError):
                pass  # a SparseTensor key and the like: the runner interprets it
        self._check(fetches, handles.values(), fed)
        return out

    def _check(self, fetches, handles, fed):
        """Raises when an op the run needs uses a fed variable other than by a read."""
        handler = tf_session._FetchHandler(self._graph, fetches, {})
        users = {}
        for handle in handles:
            for op in handle.consumers():
                if op.type != "ReadVariableOp":
                    users.setdefault(op.name, (op, handle))
        if not users:
            return
        seen = set()
        stack = [t.op for t in handler.fetches() if t.ref() not in fed]
        stack += handler.targets()
        while stack:
            op = stack.pop()
            if op.name in seen:
                continue
            seen.add(op.name)
            if op.name in users:
                raise _uses_variable(*users[op.name])
            stack.extend(t.op for t in op.inputs if t.ref() not in fed)
            stack.extend(op.control_inputs)


def _uses_variable(op, handle):
    name = handle.op.name
    if op.type.startswith(_UPDATES):
        return errors.InvalidArgumentError(
            op.node_def, op,
            f"Variable {name!r} is fed in this run, but op {op.name!r} ({op.type}) "
            "updates it: a fed variable is a value in that run (as in TF 1.x, where this "
            "op failed with a type error). Run the update without feeding the variable.")
    return errors.UnimplementedError(
        op.node_def, op,
        f"Variable {name!r} is fed in this run, but op {op.name!r} ({op.type}) uses the "
        "variable itself, not a value read from it, so the fed value cannot reach it. "
        "Feed a placeholder that the op reads instead, or create the variable with "
        "use_resource=False (TF 1.x's ref variable).")

