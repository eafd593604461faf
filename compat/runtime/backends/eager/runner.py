"""The eager runtime: a TF1 graph executed by TF2 concrete functions.

No ``tf.compat.v1.Session`` is involved. Per session, the runner owns

* one eager ``tf.Variable`` per graph variable (created uninitialized, so TF1's
  "uninitialized" semantics survive), reachable via :attr:`Runner.variables`;
* one eager handle per session resource (``tf.data`` iterators, lookup tables,
  queues), created once, so that every ``run`` shares it as a v1 Session does;
* one concrete function per (feeds, fetches, targets) signature. Its body
  imports only the ops the signature needs (stopping at fed tensors) with
  ``import_graph_def``, with fed tensors mapped to the function's arguments and
  variable/resource handles mapped to the session's eager handles. Feeds are
  traced with their placeholders' static shapes, so a new batch size does not
  retrace. The body is optimized by grappler first, as a v1 Session optimizes the
  run (the subgraph in the graph's node order, feeds in place, fetches and targets
  preserved, the session config's rewriter options, cond / while_loop lowered to TF1
  control flow), and the function runs without a second optimization: grappler's
  rewrites change float rounding (it reassociates chains of multiplications, for one),
  and inside a function they depended on the function's own node order.

Known differences from a v1 Session (documented, tested):

* seeded ``random_uniform`` / ``random_normal`` / ``truncated_normal`` / integer
  ``random_uniform`` ops (so dropout) in the run's graph draw the Session's numbers,
  one stream per op across signatures: the session keeps each op's Philox position
  and a stateless op draws at it. Other random ops (``random_shuffle``,
  ``multinomial``, gamma / Poisson) and random ops inside functions (``tf.data``,
  loop bodies) keep one stream per signature (a v1 Session: one per op); and two
  threads running one random op at the same moment may draw the same numbers (the
  Session's kernel takes a lock).
* ``options`` / ``run_metadata`` are accepted and ignored.
* a feed that reaches state (a variable assignment, a dataset, a table) is copied
  first; a v1 Session may share an aligned array's memory with such state. Other
  feeds are used in place, as by the Session.
* ``partial_run`` is emulated: one function call per step that unblocks ops. A
  stateful op's output that a later step needs is kept as a NumPy value, so one that
  is a resource or variant (a TF1 ``TensorArrayV3`` handle) raises
  ``UnimplementedError``; stateless producers run again in the later step.
"""

import collections
import itertools
import os
import re
import threading

import numpy as np
import tensorflow as tf
from tensorflow.python.client import session as tf_session
from tensorflow.python.eager import cancellation
from tensorflow.python.eager import context
from tensorflow.python.eager import execute
from tensorflow.core.framework import attr_value_pb2
from tensorflow.core.framework import node_def_pb2
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import config_pb2
from tensorflow.core.protobuf import device_properties_pb2
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow.python.grappler import cluster as grappler_cluster
from tensorflow.python.grappler import tf_optimizer
from tensorflow.python.framework import dtypes
from tensorflow.python.framework import error_interpolation
from tensorflow.python.framework import errors
from tensorflow.python.framework import importer
from tensorflow.python.framework import ops
from tensorflow.python.framework import tensor as tensor_lib
from tensorflow.python.framework import tensor_util
from tensorflow.python.ops import resource_variable_ops
from tensorflow.python.ops import variables
from tensorflow.python.util import compat as tf_compat
from tensorflow.python.util import nest

__all__ = ["NAME", "Runner", "VariableMap"]

NAME = "eager"

_VAR_HANDLE_OPS = frozenset({"VarHandleOp"})
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


_MAX_PLANS = 512  # cached run structures per session (the fast path)
# Consumers of a variable handle that do not read its value.
_NON_READING = frozenset({"AssignVariableOp", "VarIsInitializedOp", "DestroyResourceOp"})
_FEED_PREFIX = "compat__feed__"
_FETCH_PREFIX = "compat__fetch__"
_FUNCTIONAL_CONTROL_FLOW = frozenset({"While", "StatelessWhile", "If", "StatelessIf",
                                      "Case", "StatelessCase"})
_RES_PREFIX = "compat__res__"

_registered_functions = set()

_Device = collections.namedtuple("_Device", ["name", "device_type", "memory_limit_bytes",
                                             "incarnation"])


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


def _tensor_key(name):
    """'a' -> 'a:0'; 'a:1' stays."""
    return name if ":" in name else name + ":0"


class VariableMap(collections.abc.Mapping):
    """Read-only mapping from TF1 variable name (``'scope/w'`` or ``'scope/w:0'``)
    to the session's eager ``tf.Variable``."""

    def __init__(self, runner):
        self._runner = runner

    def _all(self):
        return self._runner._all_variables()

    def __getitem__(self, name):
        key = name[:-2] if isinstance(name, str) and name.endswith(":0") else name
        variables = self._all()
        if key not in variables:
            raise KeyError(f"No variable named {name!r} in the session's graph")
        return variables[key]

    def __iter__(self):
        return iter(self._all())

    def __len__(self):
        return len(self._all())


_CPU = "/job:localhost/replica:0/task:0/device:CPU:0"
_grappler_lock = threading.Lock()
_grappler_cluster = []


def _cpu_mhz():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cpu MHz"):
                    return int(float(line.split(":")[1]))
    except (OSError, ValueError):
        pass
    return 1000


def _cluster():
    """A virtual cluster of this process's CPU, for the graph optimizer's device
    questions (a v1 Session gives it its own device set the same way)."""
    if not _grappler_cluster:
        device = device_properties_pb2.NamedDevice(
            name=_CPU, properties=device_properties_pb2.DeviceProperties(
                type="CPU", num_cores=os.cpu_count() or 1, frequency=_cpu_mhz()))
        _grappler_cluster.append(grappler_cluster.Cluster(devices=[device]))
    return _grappler_cluster[0]


def _optimize_like_a_session(graph_def, feed_nodes, fed_tensors, fetches,
                             target_names, config):
    """`graph_def` optimized by grappler as a v1 Session with `config` optimizes a
    run: fetched tensors ((name, tensor) pairs) and targets preserved, feeds fed, cond
    and while_loop lowered to TF1 control flow and optimized with the rest. As in the
    Session, a failing optimizer leaves the graph unoptimized."""
    meta = meta_graph_pb2.MetaGraphDef()
    meta.graph_def.CopyFrom(graph_def)
    meta.collection_def["train_op"].node_list.value.extend(target_names)
    signature = meta.signature_def["compat_run"]
    for name, t in zip(feed_nodes, fed_tensors):
        info = signature.inputs[name]
        info.name = f"{name}:0"
        info.dtype = t.dtype.as_datatype_enum
        info.tensor_shape.CopyFrom(t.shape.as_proto())
    for i, (name, t) in enumerate(fetches):
        info = signature.outputs[f"fetch_{i}"]
        info.name = name
        info.dtype = t.dtype.as_datatype_enum
        info.tensor_shape.CopyFrom(t.shape.as_proto())
    rewriter_config = config_pb2.ConfigProto()
    if config is not None:
        rewriter_config.graph_options.rewrite_options.CopyFrom(
            config.graph_options.rewrite_options)
    try:
        with _grappler_lock:
            return tf_optimizer.OptimizeGraph(rewriter_config, meta, verbose=False,
                                              graph_id=b"compat_run", cluster=_cluster())
    except Exception:  # noqa: BLE001 - the Session runs the unoptimized graph then
        return graph_def


def _merged_library(original, optimized):
    """The graph's functions, plus those the optimizer added (specializations); a
    function it rewrote under the same name keeps the graph's definition (the
    runtime knows each name once, and other signatures call the graph's)."""
    names = {f.signature.name for f in original.function}
    merged = type(original)()
    merged.CopyFrom(original)
    for fdef in optimized.function:
        if fdef.signature.name not in names:
            merged.function.add().CopyFrom(fdef)
    known = {g.function_name for g in original.gradient}
    for grad in optimized.gradient:
        if grad.function_name not in known:
            merged.gradient.add().CopyFrom(grad)
    return merged


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


_NO_GRAPPLER = {}


def _function_attrs(options):
    """The call attributes of `options` with the graph optimizer off (the function's
    graph was optimized already, as a Session optimizes it)."""
    attrs = _NO_GRAPPLER.get(id(options))
    if attrs is None or attrs[0] is not options:
        proto = config_pb2.ConfigProto()
        if options.config_proto_serialized:
            proto.ParseFromString(options.config_proto_serialized)
        proto.graph_options.rewrite_options.disable_meta_optimizer = True
        own = context.FunctionCallOptions(executor_type=options.executor_type,
                                          config_proto=proto)
        attrs = (options, own, tuple(itertools.chain(*own.as_attrs().items())))
        if len(_NO_GRAPPLER) > 64:
            _NO_GRAPPLER.clear()
        _NO_GRAPPLER[id(options)] = attrs
    return attrs


class _Signature:
    """One compiled (feeds, fetches, targets) combination."""

    __slots__ = ("function", "feed_dtypes", "must_be_initialized", "assigned", "n_fetch",
                 "copy_feeds", "direct", "_options", "_attrs")

    def prepare_direct(self):
        """Sets up :meth:`call`'s direct path: the compiled function executed by name, as
        ``AtomicFunction.call_flat`` does, without its per-call Python work (attribute
        serialization, tape and control-dependency scopes, output handle data). Only for
        plain numeric feeds and non-resource, non-variant outputs."""
        self.direct = None
        self._options = self._attrs = None
        atomic = getattr(self.function, "_inference_function", None)
        if atomic is None or getattr(atomic, "call_flat", None) is None:  # pragma: no cover
            return
        try:
            outputs = atomic.function_type.flat_outputs
            name = atomic.name.decode()
        except AttributeError:  # pragma: no cover - other TF versions
            return
        if any(d in (dtypes.resource, dtypes.variant, dtypes.string)
               for d in self.feed_dtypes) or any(
                o.dtype in (dtypes.resource, dtypes.variant) for o in outputs):
            return
        self.direct = (atomic, name, len(outputs), list(self.function.captured_inputs),
                       [d.as_datatype_enum for d in self.feed_dtypes])

    def call(self, values):
        """Calls the concrete function with already validated NumPy feeds."""
        direct = self.direct
        if direct is not None and cancellation.context() is None:
            atomic, name, n_out, captures, enums = direct
            ctx = context.context()
            ctx.ensure_initialized()
            options = ctx.function_call_options
            if options is not self._options:
                self._attrs = _function_attrs(options)[2]
                self._options = options
            device = ctx.device_name
            if self.copy_feeds or ctx.is_async():
                # state built from a feed never shares the caller's memory (a v1 Session
                # may share it: a dataset from a feed saw later writes to the array)
                values = [_private_copy(v) for v in values]
            inputs = [ops.EagerTensor(v, device, e) for v, e in zip(values, enums)]
            inputs.extend(captures)
            return execute.quick_execute(name, n_out, inputs, self._attrs, ctx)
        function = self.function
        call_flat = getattr(function, "_call_flat", None)
        if call_flat is None:  # pragma: no cover - other TF versions
            return function(*values)
        tensors = [ops.convert_to_tensor(v, dtype=d) for v, d in zip(values, self.feed_dtypes)]
        ctx = context.context()
        options = ctx.function_call_options
        ctx.function_call_options = _function_attrs(options)[1]
        try:
            return call_flat(tensors, function.captured_inputs)
        finally:
            ctx.function_call_options = options


# The function's nodes are the graph's, imported under the scope "s/" (see _compile);
# the function runtime adds a header naming them, and its own name at the end.
_RUNTIME_HEADER = re.compile(
    r"\AGraph execution error:\n\n(?:Detected at node \S+ defined at \(most recent call "
    r"last\):\n(?:<stack traces unavailable>\n)?)*")
_FUNCTION_SUFFIX = re.compile(r"\s*\[Op:__inference_[^\]]*\]\s*\Z")
_IMPORTED_NODE = re.compile(r"(\{\{node |\[\[node |\[\[|Node: ')s/")


def _session_error(error, graph):
    """`error` (raised by a compiled run) as a v1 Session raises it: the same class,
    ``op`` and ``node_def`` of the graph's failing op, the message naming the graph's
    nodes and where the op was defined."""
    message = tf_compat.as_text(error.message)
    message = _RUNTIME_HEADER.sub("", message)
    message = _FUNCTION_SUFFIX.sub("", message)
    message = _IMPORTED_NODE.sub(r"\1", message)
    op = node_def = None
    found = tf_session.BaseSession._NODEDEF_NAME_RE.search(message)
    if found is not None:
        try:
            op = graph.get_operation_by_name(found.group(3))
            node_def = op.node_def
        except KeyError:
            pass
    message = error_interpolation.interpolate_graph(message, graph)
    return type(error)(node_def, op, message)


class _PartialRun:
    """One partial run: TF1 runs every op of the setup's fetches and targets as soon as
    the feeds it depends on are fed, once. Emulated with one signature call per step
    that newly unblocks ops; values that ops still waiting need are kept: a stateful
    op's output is fetched and fed back to later steps (it never runs twice), a
    stateless op runs again there."""

    def __init__(self, runner, fetch_tensors, target_ops, feed_tensors):
        self.runner = runner
        self.lock = threading.Lock()
        self.feeds = {t.name: t for t in feed_tensors}
        self.fetches = {t.name: t for t in fetch_tensors}
        self.ops, _, _ = _needed_ops(self.feeds, fetch_tensors, target_ops)
        # TF1 reports a placeholder that is neither fed nor a setup feed at the next
        # partial_run call (setup succeeds), then forgets the handle
        self.error = _unfed_placeholder(self.ops.values())
        self.fed = {}        # feed name -> checked NumPy value
        self.values = {}     # tensor name -> value computed by an earlier step
        self.done = set()    # names of ops that ran
        self.fetched = set()

    def finished(self):
        return bool(self.fetches) and self.fetched >= set(self.fetches)

    def _blocked(self, fed_names):
        """{op name: the unfed feed it waits for} over the run's ops (passes in graph
        order until nothing changes: loops feed values back to earlier ops)."""
        blocked = {}
        ops = [op for op in self.runner.graph.get_operations() if op.name in self.ops]
        changed = True
        while changed:
            changed = False
            for op in ops:
                if op.name in blocked:
                    continue
                waits = None
                for t in op.inputs:
                    if t.name in self.feeds:
                        waits = None if t.name in fed_names else t.name
                    else:
                        waits = blocked.get(t.op.name)
                    if waits:
                        break
                if waits is None:
                    waits = next((blocked[c.name] for c in op.control_inputs
                                  if c.name in blocked), None)
                if waits is not None:
                    blocked[op.name] = waits
                    changed = True
        return blocked

    def fetch(self, feeds, fetch_tensors):
        """Checks like TF1 (nothing changes on an error), feeds, runs what the feeds
        unblock, and returns the values of `fetch_tensors`."""
        new_feeds = {}
        for ref, value in feeds.items():
            name = ref.deref().name
            if name not in self.feeds:
                raise errors.InvalidArgumentError(
                    None, None, f"The feed {name} was not specified in partial_run_setup.")
            if name in self.fed:
                raise errors.InvalidArgumentError(
                    None, None, f"The feed {name} has already been fed.")
            new_feeds[name] = value
        for t in fetch_tensors:
            if t.name not in self.fetches:
                raise errors.InvalidArgumentError(
                    None, None, f"The fetch {t.name} was not specified in partial_run_setup.")
            if t.name in self.fetched:
                raise errors.InvalidArgumentError(
                    None, None, f"The fetch {t.name} has already been fetched.")
        fed_names = set(self.fed) | set(new_feeds)
        blocked = self._blocked(fed_names)
        for t in fetch_tensors:
            if t.name in fed_names:
                continue
            waits = t.name if t.name in self.feeds else blocked.get(t.op.name)
            if waits:
                raise errors.InvalidArgumentError(
                    None, None, f"Fetch {waits} can't be computed from the feeds that have "
                    "been fed so far.")
        self.advance(new_feeds, blocked)
        out = []
        for t in fetch_tensors:
            self.fetched.add(t.name)
            value = self.fed.get(t.name)
            out.append(self.values[t.name] if value is None else value)
        return out

    def advance(self, new_feeds, blocked=None):
        """Runs the ops that `new_feeds` (with the earlier ones) unblock."""
        fed = dict(self.fed, **new_feeds)
        if blocked is None:
            blocked = self._blocked(set(fed))
        ready = {name: op for name, op in self.ops.items()
                 if name not in blocked and name not in self.done}
        if ready:
            wanted, redo = {}, set()   # tensor name -> tensor (insertion-ordered)
            for op in ready.values():
                for t in op.outputs:
                    waiting = next((c.name for c in t.consumers() if c.name in blocked),
                                   None)
                    if waiting is not None:
                        self._hold(t, wanted, redo, waiting)
                    if t.name in self.fetches:
                        wanted[t.name] = t
            inputs = {}
            for op in ready.values():
                for t in op.inputs:
                    if t.name in fed:
                        inputs[t.name] = fed[t.name]
                    elif t.name in self.values and t.op.name not in ready:
                        inputs[t.name] = self.values[t.name]
            graph = self.runner.graph
            feed_refs = {graph.get_tensor_by_name(n).ref(): v for n, v in inputs.items()}
            targets = [op for op in ready.values()
                       if not any(t.name in wanted for t in op.outputs)]
            values = self.runner._execute(feed_refs, list(wanted.values()), targets,
                                          frozenset(self.done))
            self.values.update(zip(wanted, values))
            self.done.update(name for name in ready if name not in redo)
        self.fed = fed

    def _hold(self, t, wanted, redo, waiting):
        """Makes `t` available to a later step, where op `waiting` needs it. A stateful
        op's value is fetched now and fed later (the op must not run twice); a
        stateless op runs again in the later step from its own inputs, kept the same
        way (feeding a recomputable value would hide constants that shape inference
        needs, e.g. a TensorList's element shape)."""
        op = t.op
        if t.name in self.feeds or op.name not in self.ops or op.name in self.done or \
                t.name in wanted or op.name in redo:
            return  # fed, session state, kept by an earlier step, or kept already
        if not op.op_def.is_stateful:
            redo.add(op.name)
            for inp in op.inputs:
                self._hold(inp, wanted, redo, waiting)
            return
        if t.dtype in (dtypes.resource, dtypes.variant):
            raise errors.UnimplementedError(
                None, op,
                f"The eager backend cannot keep {t.name} ({t.dtype.name}) between "
                f"partial_run calls ({waiting} waits for a feed); use Session.run with the "
                "full feed_dict.")
        wanted[t.name] = t


def _is_element(x):
    """A fetch the plan path takes: a tensor, an operation or a variable (fetched as
    its graph element: the value, or for an assign's result the value after it)."""
    return isinstance(x, (tensor_lib.Tensor, ops.Operation, variables.Variable))


def _graph_element(x):
    """The tensor or operation a plain fetch stands for (None for an eager variable)."""
    if isinstance(x, (tensor_lib.Tensor, ops.Operation)):
        return x
    element = x._as_graph_element()  # pylint: disable=protected-access
    return element if isinstance(element, (tensor_lib.Tensor, ops.Operation)) else None


def _plan_key(fetches, feed_dict):
    """A hashable key for the run's structure when it is a plain one (graph elements in
    a list, tuple, dict or alone; tensor feed keys), else None (slow path)."""
    kind = type(fetches)
    if kind in (list, tuple):
        if not all(_is_element(f) for f in fetches):
            return None
        fetch_key = (kind, tuple(map(id, fetches)))
    elif kind is dict:
        if not all(_is_element(f) for f in fetches.values()):
            return None
        fetch_key = (dict, tuple((k, id(v)) for k, v in fetches.items()))
    elif _is_element(fetches):
        fetch_key = id(fetches)
    else:
        return None
    if not feed_dict:
        return fetch_key, ()
    if type(feed_dict) is not dict or not all(
            isinstance(k, tensor_lib.Tensor) for k in feed_dict):
        return None
    return fetch_key, tuple(map(id, feed_dict))


class _Plan:
    """A compiled run for one plain fetch/feed structure: skips fetch-handler building,
    feed expansion and sorting on later runs with the same structure."""

    __slots__ = ("sig", "order", "dtypes", "shapes", "build", "keep")

    @classmethod
    def make(cls, sig, fetches, feed_dict, fed_refs, fetch_tensors, feeds):
        fetched_names = [t.name for t in fetch_tensors]
        elements = {id(f): _graph_element(f) for f in _leaves(fetches)}
        if any(e is None for e in elements.values()):
            return None
        if any(e.ref() in feeds for e in elements.values() if isinstance(e, tensor_lib.Tensor)):
            return None  # a fetched tensor is also fed: the general path handles it
        plan = cls()
        plan.sig = sig
        # The plan key is made of id()s: holding the keyed objects keeps those ids from
        # being reused by other objects while the plan exists (fetches may be temporary
        # wrappers, e.g. the ShouldUseWrapper of tf.is_variable_initialized).
        plan.keep = (tuple(_leaves(fetches)), tuple(feed_dict or ()))
        keys = list(feed_dict or ())
        position = {r.deref().name: i for i, r in enumerate(fed_refs)}
        if len(keys) != len(position) or any(k.name not in position for k in keys):
            return None
        plan.order = [0] * len(keys)
        for j, key in enumerate(keys):
            plan.order[position[key.name]] = j
        plan.dtypes = [np.dtype(r.deref().dtype.as_numpy_dtype) for r in fed_refs]
        plan.shapes = [r.deref().shape.as_list() if r.deref().shape.rank is not None else None
                       for r in fed_refs]
        index = {name: i for i, name in enumerate(fetched_names)}
        kind = type(fetches)

        def pick(f):
            element = elements[id(f)]
            return None if isinstance(element, ops.Operation) else index[element.name]

        if kind in (list, tuple):
            picks = [pick(f) for f in fetches]
            plan.build = (lambda v, p=picks, k=kind: k(None if i is None else v[i] for i in p))
        elif kind is dict:
            picks = [(k, pick(f)) for k, f in fetches.items()]
            plan.build = lambda v, p=picks: {k: (None if i is None else v[i]) for k, i in p}
        else:
            i = pick(fetches)
            plan.build = (lambda v: None) if i is None else (lambda v, i=i: v[i])
        return plan

    def feed_values(self, feed_dict):
        """Feed values in signature order, or None when one needs the full checks
        (not an ndarray of the placeholder's dtype and a compatible shape)."""
        if not feed_dict:
            return []
        given = list(feed_dict.values())
        out = []
        for slot, j in enumerate(self.order):
            value = given[j]
            if type(value) is not np.ndarray or value.dtype != self.dtypes[slot]:
                return None
            shape = self.shapes[slot]
            if shape is not None:
                if value.ndim != len(shape) or any(
                        d is not None and d != n for d, n in zip(shape, value.shape)):
                    return None
            out.append(value)
        return out


def _leaves(fetches):
    if isinstance(fetches, dict):
        return list(fetches.values())
    if isinstance(fetches, (list, tuple)):
        return list(fetches)
    return [fetches]


class Runner:
    """Executes a TF1 graph with TF2 concrete functions and eager state."""

    name = NAME

    def __init__(self, graph, target="", config=None):
        if target:
            raise errors.UnimplementedError(
                None, None,
                f"The eager backend runs in-process only; got target {target!r}. "
                "Use backend='graph' for a distributed TF1 master.")
        self.graph = graph
        self._config = config if isinstance(config, config_pb2.ConfigProto) else None
        self._lock = threading.RLock()
        self._variables = {}      # op name -> eager variable
        self._resources = {}      # op name -> (eager handle tensor, keepalive)
        self._signatures = {}
        self._plans = {}          # fast path: fetch/feed structure -> _Plan
        self._graph_def = None
        self._graph_def_version = -1
        self._known_initialized = set()
        self._resource_serial = 0
        self._partial_runs = {}   # handle -> _PartialRun
        self._partial_serial = 0
        self._random_positions = {}  # random op name -> eager int64 variable
        self.variables = VariableMap(self)
        self.sess_str = ""

    # --- state ----------------------------------------------------------------
    def _variable_for(self, op):
        var = self._variables.get(op.name)
        if var is None:
            with self._lock:
                var = self._variables.get(op.name)
                if var is None:
                    shape = tf.TensorShape(op.get_attr("shape"))
                    dtype = dtypes.as_dtype(op.get_attr("dtype"))
                    with context.eager_mode():
                        var = resource_variable_ops.UninitializedVariable(
                            shape=shape, dtype=dtype, name=op.name, trainable=False)
                    self._variables[op.name] = var
        return var

    def _all_variables(self):
        for op in self.graph.get_operations():
            if op.type in _VAR_HANDLE_OPS:
                self._variable_for(op)
        return dict(self._variables)

    def _resource_for(self, op):
        entry = self._resources.get(op.name)
        if entry is not None:
            return entry[0]
        with self._lock:
            entry = self._resources.get(op.name)
            if entry is None:
                entry = self._create_resource(op)
                self._resources[op.name] = entry
        return entry[0]

    def _create_resource(self, op):
        node = self._graph_def_now().node
        node_def = next(n for n in node if n.name == op.name)
        node_def = type(node_def).FromString(node_def.SerializeToString())
        node_def.ClearField("device")
        if "_class" in node_def.attr:
            del node_def.attr["_class"]
        if "shared_name" in node_def.attr and node_def.attr["shared_name"].s:
            self._resource_serial += 1
            base = tf_compat.as_str(node_def.attr["shared_name"].s)
            node_def.attr["shared_name"].s = tf_compat.as_bytes(
                f"{base}_compat_{id(self):x}_{self._resource_serial}")
        graph_def = tf.compat.v1.GraphDef()
        graph_def.versions.CopyFrom(self._graph_def_now().versions)
        graph_def.library.CopyFrom(self._graph_def_now().library)
        graph_def.node.add().CopyFrom(node_def)
        outputs = [f"{op.name}:{i}" for i in range(len(op.outputs))]

        def create():
            return importer.import_graph_def(graph_def, return_elements=outputs, name="r")

        function = tf.function(create, autograph=False).get_concrete_function()
        handles = function()
        return handles[0], (function, handles)

    def _graph_def_now(self):
        version = self.graph.version
        if self._graph_def is None or self._graph_def_version != version:
            graph_def = self.graph.as_graph_def()
            self._register_functions(graph_def.library)
            self._graph_def = graph_def
            self._graph_def_version = version
        return self._graph_def

    def _register_functions(self, library):
        """Makes the graph's functions (tf.data, control flow) known to the runtime.

        Kernels such as OneShotIterator look their functions up by name at run
        time, in the eager context's library.
        """
        ctx = context.context()
        for fdef in library.function:
            name = fdef.signature.name
            if name not in _registered_functions:
                ctx.add_function_def(fdef)
                _registered_functions.add(name)

    def _random_position(self, name):
        """The session's position in a seeded random op's Philox stream (one per op,
        shared by every signature, as a v1 Session's kernel keeps it)."""
        var = self._random_positions.get(name)
        if var is None:
            with self._lock:
                var = self._random_positions.get(name)
                if var is None:
                    with context.eager_mode():
                        var = tf.Variable(0, dtype=tf.int64, trainable=False,
                                          name=f"{name}_compat_position")
                    self._random_positions[name] = var
        return var

    # --- compiling ------------------------------------------------------------
    def _session_view(self, fed_tensors, fetch_tensors, needed, var_ops, res_ops, ran):
        """The graph a v1 Session's optimizer sees for this run: the needed ops with
        the session's variables and resources, in the graph's node order, placed on
        the CPU as the Session's placer does, each fed tensor a placeholder where its
        op is (a fed placeholder stays itself). A fetched output of a cond / while_loop
        op is read through an Identity: the optimizer lowers those ops to TF1 control
        flow as the Session's does, and the lowered op keeps no outputs. Returns (feed
        node names, names to fetch, GraphDef)."""
        full = self._graph_def_now()
        by_name = {n.name: n for n in full.node}
        feed_nodes, fed_at = [], {}
        for i, t in enumerate(fed_tensors):
            if t.op.type == "Placeholder" and t.op.name not in needed:
                feed_nodes.append(t.op.name)
            else:
                feed_nodes.append(f"{_FEED_PREFIX}{i}")
            fed_at.setdefault(t.op.name, []).append(i)
        fed = {t.name: f"{feed_nodes[i]}:0" for i, t in enumerate(fed_tensors)}
        keep = set(needed) | set(var_ops) | set(res_ops)
        graph_def = tf.compat.v1.GraphDef()
        graph_def.versions.CopyFrom(full.versions)
        graph_def.library.CopyFrom(full.library)
        for op in self.graph.get_operations():
            for i in fed_at.get(op.name, ()):
                t = fed_tensors[i]
                if feed_nodes[i] == op.name:
                    graph_def.node.add().CopyFrom(by_name[op.name])
                    continue
                node = graph_def.node.add()
                node.name = feed_nodes[i]
                node.op = "Placeholder"
                node.attr["dtype"].type = t.dtype.as_datatype_enum
                node.attr["shape"].shape.CopyFrom(t.shape.as_proto())
            if op.name not in keep:
                continue
            node = graph_def.node.add()
            node.CopyFrom(by_name[op.name])
            inputs = [inp if inp.startswith("^") else fed.get(_tensor_key(inp), inp)
                      for inp in node.input
                      if not (inp.startswith("^") and inp[1:] in ran)]
            del node.input[:]
            node.input.extend(inputs)
        fetch_names = []
        for i, t in enumerate(fetch_tensors):
            if t.op.type not in _FUNCTIONAL_CONTROL_FLOW:
                fetch_names.append(t.name)
                continue
            node = graph_def.node.add()
            node.name = f"{_FETCH_PREFIX}{i}"
            node.op = "Identity"
            node.input.append(t.name)
            node.attr["T"].type = t.dtype.as_datatype_enum
            fetch_names.append(f"{node.name}:0")
        for node in graph_def.node:
            if not node.device or "CPU" in node.device.upper():
                node.device = _CPU
        return feed_nodes, fetch_names, graph_def

    def _compile(self, fed_tensors, fetch_tensors, target_ops, ran=frozenset()):
        fed = {t.name: i for i, t in enumerate(fed_tensors)}
        needed, var_ops, res_ops = _needed_ops(fed, fetch_tensors, target_ops, ran)
        handle_ops = sorted(op.name for op in needed.values()
                            if op.type in _SESSION_HANDLE_OPS)
        if handle_ops:
            raise errors.UnimplementedError(
                None, None,
                f"Session handles ({', '.join(handle_ops)}: tf.get_session_handle / "
                "tf.get_session_tensor) keep tensors in a v1 Session's state, which the "
                "eager backend does not have; run this module on the graph backend "
                "(compat.use_backend('graph'), or COMPAT_MODULES=<module>=graph).")
        error = _unfed_placeholder(needed.values())
        if error is not None:
            raise error
        for t in fetch_tensors:
            if t.name not in fed and (t.op.type in _VAR_HANDLE_OPS or _is_session_resource(t.op)):
                raise errors.UnimplementedError(
                    None, t.op,
                    f"Fetching the resource handle {t.name!r} is not supported by the eager "
                    "backend; fetch the variable (or its value) instead.")

        res_names = {}
        handles = []
        for name, op in sorted(var_ops.items()):
            res_names[op.name + ":0"] = len(handles)
            handles.append(self._variable_for(op).handle)
        for name, op in sorted(res_ops.items()):
            res_names[op.name + ":0"] = len(handles)
            handles.append(self._resource_for(op))
        positions = {}  # seeded random op name -> index of its position's handle
        # (not with TF1 control flow: an op in a loop frame draws once per iteration)
        v1_control_flow = _v1_control_flow(needed.values())
        for name, op in sorted(needed.items()):
            if v1_control_flow:
                break
            if op.type in _PHILOX_OPS and (op.get_attr("seed") or op.get_attr("seed2")):
                positions[name] = len(handles)
                handles.append(self._random_position(name).handle)

        target_names = [op.name for op in target_ops]
        # The Session's graph optimizer (grappler) runs here, on the subgraph in the
        # graph's node order with the feeds in place, as a v1 Session runs it; the
        # function then runs without it. Optimized inside the function instead, its
        # rewrites (e.g. how a chain of multiplications is reassociated) depended on
        # the function's node order: last-bit differences from the Session.
        fetched = [t for t in fetch_tensors if t.name not in fed]
        feed_nodes, fetch_names, session_view = self._session_view(
            fed_tensors, fetched, needed, var_ops, res_ops, ran)
        optimized = _optimize_like_a_session(
            session_view, feed_nodes, fed_tensors, list(zip(fetch_names, fetched)),
            target_names, self._config)
        library = _merged_library(session_view.library, optimized.library)
        self._register_functions(library)
        fed_refs = {f"{name}:0": i for i, name in enumerate(feed_nodes)}
        dropped = set(feed_nodes) | set(var_ops) | set(res_ops)
        graph_def = tf.compat.v1.GraphDef()
        graph_def.versions.CopyFrom(optimized.versions)
        graph_def.library.CopyFrom(library)
        for i, t in enumerate(fed_tensors):
            node = graph_def.node.add()
            node.name = f"{_FEED_PREFIX}{i}"
            node.op = "Placeholder"
            node.attr["dtype"].type = t.dtype.as_datatype_enum
        for j in [*res_names.values(), *positions.values()]:
            node = graph_def.node.add()
            node.name = f"{_RES_PREFIX}{j}"
            node.op = "Placeholder"
            node.attr["dtype"].type = dtypes.resource.as_datatype_enum

        read_vars, assigned_vars = set(), set()
        fed_data = _downstream(fed_tensors, needed)
        may_keep_inputs = any(
            op.op_def.is_stateful and not _keeps_no_input(op.type) for op in fed_data)
        sources = []
        for source in optimized.node:
            if source.name in dropped:
                continue
            if source.name in positions:
                sources.extend(_stateless_draw(
                    source, f"{_RES_PREFIX}{positions[source.name]}"))
            else:
                sources.append(source)
        for source in sources:
            node = graph_def.node.add()
            node.CopyFrom(source)
            if "_class" in node.attr:
                del node.attr["_class"]
            new_inputs = []
            for inp in node.input:
                if inp.startswith("^"):
                    if inp[1:] not in dropped:
                        new_inputs.append(inp)
                    continue
                key = _tensor_key(inp)
                if key in fed_refs:
                    new_inputs.append(f"{_FEED_PREFIX}{fed_refs[key]}")
                elif key in res_names:
                    new_inputs.append(f"{_RES_PREFIX}{res_names[key]}")
                    var_name = key[:-2]
                    if var_name in var_ops:
                        if node.op in _NON_READING:
                            if node.op == "AssignVariableOp":
                                assigned_vars.add(var_name)
                        else:
                            read_vars.add(var_name)
                else:
                    new_inputs.append(inp)
            del node.input[:]
            node.input.extend(new_inputs)

        n_fed = len(fed_tensors)
        captured = list(handles)

        def body(*args):
            input_map = {f"{_FEED_PREFIX}{i}:0": a for i, a in enumerate(args[:n_fed])}
            graph = ops.get_default_graph()
            for j, h in enumerate(captured):
                input_map[f"{_RES_PREFIX}{j}:0"] = graph.capture(h)
            results = importer.import_graph_def(
                graph_def, input_map=input_map, return_elements=fetch_names + target_names,
                name="s")
            outputs = list(results[:len(fetch_names)])
            targets = results[len(fetch_names):]
            if targets:
                # Targets must run even when they are stateless ops downstream of
                # stateful ones (e.g. the Identity after a batch-norm update's cond):
                # tf.function keeps only outputs and its own stateful ops otherwise.
                with ops.control_dependencies(targets):
                    outputs.append(tf.constant(0, name="compat_targets_done"))
            return outputs

        specs = [tf.TensorSpec(t.shape, t.dtype) for t in fed_tensors]
        if _v1_control_flow(needed.values()) or any(
                n.op in _V1_CONTROL_FLOW for n in graph_def.node):
            # TF1 control flow (Enter/Exit/Switch/Merge: a graph built with TF 1.x or
            # with control flow v2 disabled, or cond / while_loop lowered to it by the
            # graph optimizer, as in a v1 Session). tf.function's automatic control
            # dependencies would tie stateful ops inside a loop frame to outputs outside
            # it ("inputs from different frames"); like TF's own wrap_function (used to
            # load TF1 SavedModels), build without them: the Session's ordering, data
            # and control edges only.
            concrete = tf.compat.v1.wrap_function(body, specs)
        else:
            function = tf.function(body, input_signature=specs, autograph=False)
            concrete = function.get_concrete_function()
        sig = _Signature()
        sig.function = concrete
        sig.feed_dtypes = [t.dtype for t in fed_tensors]
        sig.must_be_initialized = tuple(sorted(
            (name, self._variables[name]) for name in read_vars - assigned_vars))
        sig.assigned = frozenset(assigned_vars)
        sig.n_fetch = len(fetch_names)
        sig.copy_feeds = may_keep_inputs
        sig.prepare_direct()
        return sig

    def _signature(self, fed_tensors, fetch_tensors, target_ops, ran=frozenset()):
        key = (tuple(t.name for t in fed_tensors), tuple(t.name for t in fetch_tensors),
               tuple(op.name for op in target_ops))
        if ran:  # a partial run's later step
            key += (ran,)
        sig = self._signatures.get(key)
        if sig is None:
            with self._lock:
                sig = self._signatures.get(key)
                if sig is None:
                    sig = self._compile(fed_tensors, fetch_tensors, target_ops, ran)
                    self._signatures[key] = sig
        return sig

    def _check_initialized(self, sig):
        for name, var in sig.must_be_initialized:
            if name in self._known_initialized:
                continue
            if not bool(var.is_initialized()):
                raise errors.FailedPreconditionError(
                    None, None,
                    f"Error while reading resource variable {name} from Container: "
                    f"localhost. This could mean that the variable was uninitialized. "
                    f"Attempting to use uninitialized value {name}")
            self._known_initialized.add(name)

    # --- running ------------------------------------------------------------
    def _process_feeds(self, feed_dict):
        feeds = {}
        for feed, feed_val in nest.flatten_dict_items(feed_dict).items():
            for subfeed, subfeed_val in _feed_expansions(feed, feed_val):
                try:
                    subfeed_t = self.graph.as_graph_element(
                        subfeed, allow_tensor=True, allow_operation=False)
                except Exception as e:
                    raise TypeError(f"Cannot interpret feed_dict key as Tensor: {e.args[0]}")
                if isinstance(subfeed_val, tensor_lib.Tensor):
                    raise TypeError(
                        "The value of a feed cannot be a tf.Tensor object. Acceptable feed "
                        "values include Python scalars, strings, lists, numpy ndarrays, or "
                        f"TensorHandles. For reference, the tensor object was {feed_val} "
                        f"which was passed to the argument `feed_dict` with key {feed}.")
                np_dtype = subfeed_t.dtype.as_numpy_dtype
                if isinstance(subfeed_val, int) and not isinstance(subfeed_val, bool):
                    if np_dtype is not object and np.issubdtype(np_dtype, np.integer):
                        info = np.iinfo(np_dtype)
                        if not info.min <= subfeed_val <= info.max:
                            raise TypeError(
                                f"Type of feed value {subfeed_val} with type "
                                f"{type(subfeed_val)} is not compatible with Tensor type "
                                f"{np_dtype}. Try explicitly setting the type of the feed "
                                "tensor to a larger type (e.g. int64).")
                try:
                    np_val = np.asarray(subfeed_val, dtype=np_dtype)
                except (ValueError, TypeError) as e:
                    raise type(e)(
                        f"Cannot feed value {subfeed_val!r} to Tensor {subfeed_t.name} "
                        f"of dtype {subfeed_t.dtype.name}: {e}") from None
                if not subfeed_t.get_shape().is_compatible_with(np_val.shape):
                    raise ValueError(
                        f"Cannot feed value of shape {np_val.shape} for Tensor "
                        f"{subfeed_t.name}, which has shape {subfeed_t.get_shape()}")
                if not self.graph.is_feedable(subfeed_t):
                    raise ValueError(f"Tensor {subfeed_t.name} may not be fed.")
                feeds[subfeed_t.ref()] = np_val
        return feeds

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        plan_key = _plan_key(fetches, feed_dict)
        if plan_key is not None:
            plan = self._plans.get(plan_key)
            if plan is not None:
                values = plan.feed_values(feed_dict)
                if values is not None:
                    if not context.executing_eagerly():
                        with context.eager_mode():
                            return self._run_plan(plan, values)
                    return self._run_plan(plan, values)
        if not context.executing_eagerly():
            # Inside `with sess:` or a graph's as_default(): execute eagerly anyway.
            with context.eager_mode():
                return self._run(fetches, feed_dict, plan_key)
        return self._run(fetches, feed_dict, plan_key)

    def _run_plan(self, plan, values):
        return plan.build(self._call(plan.sig, values))

    def _run(self, fetches, feed_dict, plan_key):
        if self.graph.version == 0:
            raise RuntimeError("The Session graph is empty. Add operations to the graph "
                               "before calling run().")
        feeds = self._process_feeds(feed_dict) if feed_dict else {}
        handler = tf_session._FetchHandler(self.graph, fetches, feeds)
        fetch_tensors = [t for t in handler.fetches() if t.ref() not in feeds]
        target_ops = handler.targets()
        if not fetch_tensors and not target_ops:
            return handler.build_results(self, [])
        fed_refs = sorted(feeds, key=lambda r: r.deref().name)
        fed_tensors = [r.deref() for r in fed_refs]
        sig = self._signature(fed_tensors, fetch_tensors, target_ops)
        if plan_key is not None and plan_key not in self._plans:
            plan = _Plan.make(sig, fetches, feed_dict, fed_refs, fetch_tensors, feeds)
            if plan is not None:
                with self._lock:
                    if len(self._plans) >= _MAX_PLANS:  # e.g. new fetch objects per run
                        self._plans.clear()
                    self._plans[plan_key] = plan
        return handler.build_results(self, self._call(sig, [feeds[r] for r in fed_refs]))

    def _call(self, sig, values):
        if sig.must_be_initialized:
            self._check_initialized(sig)
        try:
            outputs = sig.call(values)
        except errors.OpError as e:
            raise _session_error(e, self.graph) from None
        if sig.assigned:
            self._known_initialized.update(sig.assigned)
        return [o.numpy() for o in outputs[:sig.n_fetch]] if sig.n_fetch else []

    def _execute(self, feeds, fetch_tensors, target_ops, ran=frozenset()):
        """Values of `fetch_tensors` (none of them fed) after running them and
        `target_ops` with `feeds` ({tensor ref: checked NumPy value}), not running the
        ops named in `ran` (a partial run's earlier steps)."""
        fed_refs = sorted(feeds, key=lambda r: r.deref().name)
        sig = self._signature([r.deref() for r in fed_refs], fetch_tensors, target_ops,
                              ran)
        return self._call(sig, [feeds[r] for r in fed_refs])

    # --- partial runs -------------------------------------------------------
    def partial_run_setup(self, fetches, feeds=None):
        """Starts a partial run (TF1's experimental ``Session.partial_run_setup``): ops
        run as soon as everything they need is fed, each at most once per handle."""
        with context.eager_mode():
            handler = tf_session._FetchHandler(self.graph, fetches, {})
            feed_tensors = []
            for feed in feeds or []:
                try:
                    feed_tensors.append(self.graph.as_graph_element(
                        feed, allow_tensor=True, allow_operation=False))
                except Exception as e:
                    raise TypeError(f"Cannot interpret feed_list key as Tensor: {e.args[0]}")
            fed = {t.name: i for i, t in enumerate(feed_tensors)}
            needed = _needed_ops(fed, handler.fetches(), handler.targets())[0]
            v1_flow = _v1_control_flow(needed.values())
            if v1_flow:
                # which ops run once cannot be kept apart inside a TF1 loop frame here
                raise errors.UnimplementedError(
                    None, None,
                    "Partial runs over TF1 (v1) control flow are not emulated by the eager "
                    f"backend (needed: {', '.join(v1_flow[:3])}"
                    f"{', ...' if len(v1_flow) > 3 else ''}); use Session.run, the graph "
                    "backend, or control flow v2.")
            run = _PartialRun(self, handler.fetches(), handler.targets(), feed_tensors)
            with self._lock:
                self._partial_serial += 1
                handle = f"compat-partial-run-{id(self):x}-{self._partial_serial}"
                self._partial_runs[handle] = run
            if run.error is not None:
                return handle
            try:
                with run.lock:
                    run.advance({})
            except BaseException:
                with self._lock:
                    self._partial_runs.pop(handle, None)
                raise
            return handle

    def partial_run(self, handle, fetches, feed_dict=None):
        """Feeds more of a partial run and fetches tensors named in its setup."""
        with self._lock:
            run = self._partial_runs.get(handle)
        if run is None:
            raise errors.InvalidArgumentError(
                None, None, "Must run 'setup' before performing partial runs!")
        if run.error is not None:
            with self._lock:
                self._partial_runs.pop(handle, None)
            raise run.error
        with context.eager_mode(), run.lock:
            feeds = self._process_feeds(feed_dict) if feed_dict else {}
            handler = tf_session._FetchHandler(self.graph, fetches, feeds)
            if handler.targets():
                raise RuntimeError(
                    "partial_run() requires empty `target_list`. Received: "
                    f"target_list={handler.targets()} (non-empty)")
            values = run.fetch(feeds, [t for t in handler.fetches() if t.ref() not in feeds])
            if run.finished():
                with self._lock:
                    self._partial_runs.pop(handle, None)
            return handler.build_results(self, values)

    def list_devices(self):
        return [_Device(d.name, d.device_type, 0, 0) for d in tf.config.list_logical_devices()]

    def close(self):
        with self._lock:
            self._signatures.clear()
            self._plans.clear()
            self._partial_runs.clear()
            self._resources.clear()
            self._variables.clear()
