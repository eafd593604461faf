"""Which ops one run needs, and which of them hold the session's state."""

import numpy as np
from tensorflow.python.client import session as tf_session
from tensorflow.core.framework import types_pb2
from tensorflow.python.framework import dtypes
from tensorflow.python.framework import errors

from compat.runtime.backends.eager.ref_variables import REF_VARIABLE_OPS


# variable ops whose state is the session's: resource handles, and TF1's ref variables
# (turned into resource variables for the run, see .ref_variables)
_RESOURCE_HANDLE_OPS = frozenset({"VarHandleOp"})
_VAR_HANDLE_OPS = _RESOURCE_HANDLE_OPS | REF_VARIABLE_OPS


# Stateful ops that never keep an input buffer beyond the run (they read inputs, or
# copy them into existing state). A signature where any other stateful op consumes
# data computed from a feed (assigning a feed to a variable, building a dataset or a
# table from it, queues, py_func, function calls) gets private copies of its fed
# arrays; otherwise the arrays are passed as they are, as a v1 Session does.
_NO_INPUT_KEEPING = frozenset({
    "ReadVariableOp", "ResourceGather", "ResourceGatherNd", "VarIsInitializedOp",
    "VarHandleOp", "AssignAddVariableOp", "AssignSubVariableOp", "ResourceCountUpTo",
    "ResourceStridedSliceAssign", "Assert", "Print", "PrintV2", "IteratorGetNext",
    "IteratorGetNextSync", "IteratorGetNextAsOptional", "LookupTableFindV2",
    "LookupTableSizeV2", "TruncatedNormal", "ParameterizedTruncatedNormal", "Multinomial",
    "WriteScalarSummary", "WriteHistogramSummary", "WriteSummary",
})


_NO_INPUT_KEEPING_PREFIXES = ("ResourceApply", "ResourceSparseApply", "ResourceScatter",
                              "Random")


# TF1 (v1) control-flow ops: frames that automatic control dependencies cannot cross.
_V1_CONTROL_FLOW = frozenset({"Enter", "RefEnter", "Exit", "RefExit", "Switch", "RefSwitch",
                              "Merge", "RefMerge", "NextIteration", "RefNextIteration",
                              "LoopCond"})


# TF1 session handles (tf.get_session_handle / get_session_tensor): tensors kept in a v1
# Session's state between runs.
_SESSION_HANDLE_OPS = frozenset({"GetSessionHandle", "GetSessionHandleV2",
                                 "GetSessionTensor", "DeleteSessionTensor"})


def _v1_control_flow(ops_):
    """Names of the TF1 (v1) control-flow ops among `ops_`, sorted."""
    return sorted(op.name for op in ops_ if op.type in _V1_CONTROL_FLOW)


def _keeps_no_input(op_type):
    return op_type in _NO_INPUT_KEEPING or op_type.startswith(_NO_INPUT_KEEPING_PREFIXES)


def _downstream(tensors, names):
    """Ops among `names` that consume data computed from `tensors` (control edges
    carry no data)."""
    seen, out = set(), []
    stack = [op for t in tensors for op in t.consumers()]
    while stack:
        op = stack.pop()
        if op.name in seen or op.name not in names:
            continue
        seen.add(op.name)
        out.append(op)
        for t in op.outputs:
            stack.extend(t.consumers())
    return out


def _private_copy(array):
    """A copy of `array` at a 64-byte aligned address (TF uses aligned arrays in place,
    so the feed is copied once, not twice)."""
    buf = np.empty(array.nbytes + 64, np.uint8)
    start = -buf.ctypes.data % 64
    out = buf[start:start + array.nbytes].view(array.dtype).reshape(array.shape)
    np.copyto(out, array)
    return out


# Consumers of a variable handle that do not read its value.
_NON_READING = frozenset({"AssignVariableOp", "VarIsInitializedOp", "DestroyResourceOp"})


_FUNCTIONAL_CONTROL_FLOW = frozenset({"While", "StatelessWhile", "If", "StatelessIf",
                                      "Case", "StatelessCase"})


def _feed_expansions(feed, value):
    for tensor_type, _, feed_fn, _ in tf_session._REGISTERED_EXPANSIONS:
        if isinstance(feed, tensor_type):
            return feed_fn(feed, value)
    raise TypeError(f'{feed} in argument `feed_dict` has invalid type "{type(feed).__name__}"')


def _is_session_resource(op):
    """Stateful, input-free ops producing resources: created once per session."""
    if op.type in _VAR_HANDLE_OPS or op.type == "Placeholder":
        return False
    if op.inputs or not op.outputs or not op._is_stateful:  # pylint: disable=protected-access
        return False
    return all(t.dtype == dtypes.resource for t in op.outputs)


def _needed_ops(fed, fetch_tensors, target_ops, ran=frozenset()):
    """The ops a run of (fetches, targets) executes, stopping at fed tensor names:
    ({name: op}, variable handle ops, session resource ops). Handle and resource ops
    are the session's state, not part of the run. Control inputs named in `ran`
    (ops a partial run already ran) are dropped; their outputs must be fed."""
    needed, var_ops, res_ops = {}, {}, {}
    stack = [t.op for t in fetch_tensors if t.name not in fed] + list(target_ops)
    for op in stack:
        if op.type in REF_VARIABLE_OPS:  # a fetched ref variable: its value is read
            var_ops[op.name] = op
    stack = [op for op in stack if op.type not in REF_VARIABLE_OPS]
    while stack:
        op = stack.pop()
        if op.name in needed:
            continue
        needed[op.name] = op
        for t in op.inputs:
            if t.name in fed:
                continue
            producer = t.op
            if producer.type in _VAR_HANDLE_OPS:
                var_ops[producer.name] = producer
            elif _is_session_resource(producer):
                res_ops[producer.name] = producer
            else:
                stack.append(producer)
        for c in op.control_inputs:
            if c.type in _VAR_HANDLE_OPS or _is_session_resource(c) or c.name in ran:
                continue
            stack.append(c)
    return needed, var_ops, res_ops


def _type_name(dtype):
    """TF's C++ name of a dtype, as its messages print it ("float", "int32")."""
    return types_pb2.DataType.Name(dtype.as_datatype_enum)[3:].lower()


def _unfed_placeholder(ops):
    """TF's error for the first placeholder among `ops` (nothing feeds it), or None."""
    for op in ops:
        if op.type == "Placeholder":
            shape = op.get_attr("shape")
            dims = "" if shape.unknown_rank or not shape.dim else " and shape [{}]".format(
                ",".join("?" if d.size < 0 else str(d.size) for d in shape.dim))
            return errors.InvalidArgumentError(
                op.node_def, op,
                f"You must feed a value for placeholder tensor '{op.name}' with dtype "
                f"{_type_name(op.get_attr('dtype'))}{dims}")
    return None


def _fed_ref_into_ref_op(fed_tensors, needed):
    """TF's error when a fed ref tensor (a fed ``VariableV2``) reaches an op that takes
    the variable by reference (an ``Assign`` say): the feed is a value, not the
    variable. None when no such op runs."""
    for t in fed_tensors:
        if not t.dtype._is_ref_dtype:
            continue
        for op in t.consumers():
            if op.name not in needed:
                continue
            for i, inp in enumerate(op.inputs):
                if inp is t and op._input_types[i]._is_ref_dtype:
                    return errors.InvalidArgumentError(
                        op.node_def, op,
                        f"Input {i} of node {op.name} was passed "
                        f"{t.dtype.base_dtype.name} from the feed of {t.name} "
                        f"incompatible with expected {t.dtype.name}.")
    return None


def _tensor_key(name):
    """'a' -> 'a:0'; 'a:1' stays."""
    return name if ":" in name else name + ":0"
