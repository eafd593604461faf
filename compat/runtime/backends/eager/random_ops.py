"""TF1's seeded stateful random kernels as per-session Philox streams."""

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import attr_value_pb2
from tensorflow.core.framework import node_def_pb2
from tensorflow.core.framework import types_pb2
from tensorflow.python.framework import tensor_util


# TF1's seeded random ops and their stateless (Philox) equivalents. A v1 Session's
# kernel draws from PhiloxRandom(key=seed, counter=[position, seed2]) and moves its
# position on by 256 per element drawn; the stateless op draws the same numbers from
# an explicit key and counter (checked here for all four, three calls in a row).
_PHILOX_OPS = {"RandomUniform": "StatelessRandomUniformV2",
               "RandomStandardNormal": "StatelessRandomNormalV2",
               "TruncatedNormal": "StatelessTruncatedNormalV2",
               "RandomUniformInt": "StatelessRandomUniformIntV2"}


_PHILOX_SAMPLES_PER_ELEMENT = 256


def _stateless_draw(node, position):
    """The nodes that replace `node` (a seeded TF1 random op): its values drawn from
    the session's stream position (the resource `position`), which they advance; an
    Identity under `node`'s name carries the values."""
    nodes = []
    name = node.name
    seed, seed2 = node.attr["seed"].i, node.attr["seed2"].i
    out_dtype = node.attr["Tout" if node.op == "RandomUniformInt" else "dtype"].type
    device = node.device

    def add(suffix, op, inputs=(), **attrs):
        new = node_def_pb2.NodeDef()
        nodes.append(new)
        new.name = f"{name}/compat_{suffix}"
        new.op = op
        new.device = device
        new.input.extend(inputs)
        for key, value in attrs.items():
            new.attr[key].CopyFrom(value)
        return new.name

    def type_attr(dtype):
        return attr_value_pb2.AttrValue(type=dtype)

    def const(suffix, value, dtype):
        proto = tensor_util.make_tensor_proto(value, dtype=dtype)
        return add(suffix, "Const", value=attr_value_pb2.AttrValue(tensor=proto),
                   dtype=type_attr(proto.dtype))

    u64 = types_pb2.DT_UINT64
    pos = add("position", "ReadVariableOp", [position], dtype=type_attr(types_pb2.DT_INT64))
    pos = add("position_u64", "Cast", [pos], SrcT=type_attr(types_pb2.DT_INT64),
              DstT=type_attr(u64), Truncate=attr_value_pb2.AttrValue(b=False))
    counter = add("counter", "Pack", [pos, const("seed2", np.uint64(seed2), tf.uint64)],
                  T=type_attr(u64), N=attr_value_pb2.AttrValue(i=2),
                  axis=attr_value_pb2.AttrValue(i=0))
    key = const("key", np.array([seed], np.uint64), tf.uint64)
    alg = const("alg", np.int32(1), tf.int32)  # Philox
    inputs = [node.input[0], key, counter, alg, *node.input[1:3]]  # int: minval, maxval
    draw = add("draw", _PHILOX_OPS[node.op], [i for i in inputs if not i.startswith("^")],
               dtype=type_attr(out_dtype), Tshape=type_attr(node.attr["T"].type))
    size = add("size", "Size", [draw], T=type_attr(out_dtype),
               out_type=type_attr(types_pb2.DT_INT64))
    step = add("step", "Mul", [size, const("per_element", np.int64(
        _PHILOX_SAMPLES_PER_ELEMENT), tf.int64)], T=type_attr(types_pb2.DT_INT64))
    advance = add("advance", "AssignAddVariableOp", [position, step],
                  dtype=type_attr(types_pb2.DT_INT64))
    out = node_def_pb2.NodeDef(name=name, op="Identity", device=device)
    out.input.extend([draw, f"^{advance}",
                      *[i for i in node.input if i.startswith("^")]])
    out.attr["T"].CopyFrom(type_attr(out_dtype))
    return [*nodes, out]
