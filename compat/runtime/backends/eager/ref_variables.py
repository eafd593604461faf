"""TF1's default variables (ref variables, ``VariableV2``) as the session's eager variables.

A v1 Session keeps a ref variable's value in the session's own state. Imported into a TF2
function as they are, ``VariableV2`` kernels keep it in the eager context's resource
manager under the variable's name: one value per process, shared by every session and by
every graph holding a variable of that name. So the eager backend runs each run's
subgraph with its ref variables turned into resource variables, whose handles are the
session's eager variables (as for ``tf.Variable(..., use_resource=True)``):

* the ``VariableV2`` node becomes a ``VarHandleOp`` of the same name (its output is
  mapped to the session's eager variable like any variable handle);
* an op that takes the variable by reference (``Assign``, ``AssignAdd``, ``ScatterAdd``,
  ``ApplyAdam``, ``StridedSliceAssign``, ``CountUpTo``, ``IsVariableInitialized``, ...)
  becomes its resource form (``AssignVariableOp``, ``ResourceApplyAdam``, ...); the same
  kernels compute the same numbers. Where the ref op's output (the updated variable) is
  used or fetched, a ``ReadVariableOp`` ordered after the update gives that value;
* an op that reads the variable's value (``v/read``, ``SaveV2``, any op taking the
  variable as a plain input) reads it through its own ``ReadVariableOp``, carrying the
  reader's control inputs, so the read happens when the reader runs, as TF1's automatic
  dereference did.

A ref input this table does not cover (TF1 control flow over ref tensors: ``RefEnter``,
``RefSwitch``, ...) raises ``UnimplementedError`` naming the op.
"""

from tensorflow.core.framework import node_def_pb2
from tensorflow.python.framework import dtypes
from tensorflow.python.framework import errors
from tensorflow.python.framework import op_def_registry

__all__ = ["REF_VARIABLE_OPS", "to_resource_variables"]

REF_VARIABLE_OPS = frozenset({"VariableV2", "Variable"})

_RENAMED = {
    "Assign": "AssignVariableOp",
    "AssignAdd": "AssignAddVariableOp",
    "AssignSub": "AssignSubVariableOp",
    "IsVariableInitialized": "VarIsInitializedOp",
}
_PREFIXED = ("Apply", "SparseApply", "Scatter", "StridedSliceAssign", "CountUpTo")
_READ_SUFFIX = "/compat_read"


def _resource_form(op_type):
    """The resource-variable op doing what the ref op `op_type` does, or None."""
    name = _RENAMED.get(op_type)
    if name is None and op_type.startswith(_PREFIXED):
        name = "Resource" + op_type
    if name is not None and op_def_registry.get(name) is not None:
        return name
    return None


def _tensor_name(inp):
    name = inp.lstrip("^")
    return name if ":" in name else name + ":0"


def _read_node(placed, name, var, dtype, device, controls):
    """A ReadVariableOp of `var`; `placed` (a list) receives it, so the caller puts it in
    the graph's node order next to the op it serves."""
    node = node_def_pb2.NodeDef()
    placed.append(node)
    node.name = name
    node.op = "ReadVariableOp"
    node.input.append(var)
    node.input.extend(f"^{c}" for c in controls)
    node.attr["dtype"].type = dtype
    if device:
        node.device = device
    return f"{name}:0"


def _convert(node, new_type):
    op_def = op_def_registry.get(new_type)
    allowed = {a.name for a in op_def.attr}
    attrs = {k: v for k, v in node.attr.items()}
    if "dtype" in allowed and "dtype" not in attrs and "T" in attrs:
        attrs["dtype"] = attrs["T"]
    node.ClearField("attr")
    for key, value in attrs.items():
        if key in allowed or key.startswith("_"):
            node.attr[key].CopyFrom(value)
    node.op = new_type


def _reads_through_identities(graph_def, ref_vars, base_dtype, before):
    """TF1's ``Identity`` of a ref variable (``v/read``, ``tf.identity(v)``) forwards the
    variable's buffer: what reads it sees the variable as it is when that reader runs,
    e.g. after an update the reader has a control dependency on (``with
    tf.control_dependencies([update]): tf.identity(v)``). So each such Identity becomes a
    read of the variable carrying the control inputs along its chain, and a reader with
    control inputs of its own gets its own read, carrying those too."""
    by_name = {n.name: n for n in graph_def.node}
    alias = {}  # Identity node -> (variable, control inputs along the chain)
    changed = True
    while changed:
        changed = False
        for node in graph_def.node:
            if node.op != "Identity" or node.name in alias or not node.input:
                continue
            source = _tensor_name(node.input[0])
            if not source.endswith(":0"):
                continue
            source = source[:-2]
            controls = [inp[1:] for inp in node.input if inp.startswith("^")]
            if source in ref_vars:
                alias[node.name] = (source, controls)
            elif source in alias:
                var, chain = alias[source]
                alias[node.name] = (var, chain + controls)
            else:
                continue
            changed = True
    for name, (var, controls) in alias.items():
        node = by_name[name]
        node.op = "ReadVariableOp"
        node.ClearField("attr")
        node.attr["dtype"].type = base_dtype[var]
        del node.input[:]
        node.input.append(var)
        node.input.extend(f"^{c}" for c in dict.fromkeys(controls))
    for node in graph_def.node:
        if node.name in alias:
            continue
        own = [inp[1:] for inp in node.input if inp.startswith("^")]
        if not own:
            continue
        for i, inp in enumerate(node.input):
            if inp.startswith("^"):
                break
            source = _tensor_name(inp)
            if source.endswith(":0") and source[:-2] in alias:
                var, chain = alias[source[:-2]]
                node.input[i] = _read_node(
                    before.setdefault(node.name, []), f"{node.name}{_READ_SUFFIX}_{i}", var,
                    base_dtype[var], node.device, list(dict.fromkeys(chain + own)))


def to_resource_variables(graph_def, graph, fetch_names=()):
    """Rewrites `graph_def` (a run's subgraph of `graph`) in place so that its ref
    variables are resource variables. Returns {tensor name: tensor name to fetch
    instead} for the fetched tensors that changed (a ref variable, a ref op's output)."""
    ref_vars = {n.name: n for n in graph_def.node if n.op in REF_VARIABLE_OPS}
    if not ref_vars:
        return {}
    base_dtype = {name: dtypes.as_dtype(n.attr["dtype"].type).base_dtype.as_datatype_enum
                  for name, n in ref_vars.items()}
    lost_output = {}  # converted op -> (variable it updates, dtype, device)
    before, after = {}, {}  # node name -> read nodes to place before / after it
    _reads_through_identities(graph_def, ref_vars, base_dtype, before)
    for node in list(graph_def.node):
        if node.op in REF_VARIABLE_OPS or node.op == "ReadVariableOp":
            continue  # (the reads of Identity chains above)
        try:
            op = graph.get_operation_by_name(node.name)
            expected = op._input_types  # pylint: disable=protected-access
        except (KeyError, ValueError):
            op, expected = None, ()  # a node the session view added (a feed placeholder)
        controls = [inp[1:] for inp in node.input if inp.startswith("^")]
        new_type = None
        for i, inp in enumerate(node.input):
            if inp.startswith("^"):
                break
            var = _tensor_name(inp)[:-2]
            if var not in ref_vars or not _tensor_name(inp).endswith(":0"):
                continue
            by_reference = i < len(expected) and expected[i]._is_ref_dtype
            if not by_reference:
                node.input[i] = _read_node(before.setdefault(node.name, []),
                                           f"{node.name}{_READ_SUFFIX}_{i}", var,
                                           base_dtype[var], node.device, controls)
                continue
            new_type = new_type or _resource_form(node.op)
            if new_type is None:
                raise errors.UnimplementedError(
                    None, op,
                    f"{node.op} op {node.name!r} takes the ref variable {var!r} by reference, "
                    "which the eager backend cannot run (its variables are resource "
                    "variables); create the variable with use_resource=True or run this "
                    "module on the graph backend (COMPAT_MODULES=<module>=graph).")
            lost_output.setdefault(node.name, (var, base_dtype[var], node.device))
        if new_type is not None:
            outputs_before = len(op.outputs) if op is not None else 0
            _convert(node, new_type)
            if outputs_before and op_def_registry.get(new_type).output_arg:
                lost_output.pop(node.name, None)  # CountUpTo & co. keep their value output
    for node in graph_def.node:
        if node.op in REF_VARIABLE_OPS:
            shape, dtype = node.attr["shape"], node.attr["dtype"]
            container, shared = node.attr["container"], node.attr["shared_name"]
            node.op = "VarHandleOp"
            node.ClearField("attr")
            node.attr["shape"].CopyFrom(shape)
            node.attr["dtype"].type = dtypes.as_dtype(dtype.type).base_dtype.as_datatype_enum
            node.attr["container"].CopyFrom(container)
            node.attr["shared_name"].CopyFrom(shared)
    # consumers and fetches of a ref op's output (the variable after the update) and
    # fetches of a ref variable itself read the variable after that op
    reads = {}

    def read_after(producer):
        if producer not in reads:
            if producer in ref_vars:
                var, dtype, device, controls = (producer, base_dtype[producer],
                                                ref_vars[producer].device, [])
            else:
                var, dtype, device = lost_output[producer]
                controls = [producer]
            reads[producer] = _read_node(after.setdefault(producer, []),
                                         f"{producer}{_READ_SUFFIX}", var, dtype, device,
                                         controls)
        return reads[producer]

    for node in list(graph_def.node):
        for i, inp in enumerate(node.input):
            if inp.startswith("^"):
                continue
            producer = _tensor_name(inp)[:-2]
            if producer in lost_output and _tensor_name(inp).endswith(":0"):
                node.input[i] = read_after(producer)
    renamed = {}
    for name in fetch_names:
        producer, _, index = name.rpartition(":")
        if index == "0" and (producer in lost_output or producer in ref_vars):
            renamed[name] = read_after(producer)
    # the graph's node order (tf.function orders stateful ops on one variable by it)
    nodes = []
    for node in graph_def.node:
        nodes.extend(before.get(node.name, ()))
        nodes.append(node)
        nodes.extend(after.get(node.name, ()))
    del graph_def.node[:]
    graph_def.node.extend(nodes)
    return renamed
