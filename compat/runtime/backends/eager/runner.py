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
import contextlib
import threading
import numpy as np
import tensorflow as tf
from tensorflow.python.client import session as tf_session
from tensorflow.python.eager import context
from tensorflow.core.protobuf import config_pb2
from tensorflow.python.framework import dtypes
from tensorflow.python.framework import errors
from tensorflow.python.framework import importer
from tensorflow.python.framework import ops
from tensorflow.python.framework import tensor as tensor_lib
from tensorflow.python.ops import resource_variable_ops
from tensorflow.python.util import compat as tf_compat
from tensorflow.python.util import nest

from compat.runtime.backends.eager.errors import _session_error
from compat.runtime.backends.eager.optimize import _CPU, _merged_library, _optimize_like_a_session
from compat.runtime.backends.eager.partial_run import _PartialRun
from compat.runtime.backends.eager.plans import _MAX_PLANS, _Plan, _plan_key
from compat.runtime.backends.eager.ref_variables import to_resource_variables
from compat.runtime.backends.eager.random_ops import _PHILOX_OPS, _stateless_draw
from compat.runtime.backends.eager.signature import (_FEED_PREFIX, _FETCH_PREFIX, _RES_PREFIX,
                                                     _Signature, _registered_functions)
from compat.runtime.backends.eager.ordering import order_early_reads
from compat.runtime.backends.eager.subgraph import (_FUNCTIONAL_CONTROL_FLOW, _NON_READING,
                                                    _SESSION_HANDLE_OPS, _V1_CONTROL_FLOW,
                                                    _RESOURCE_HANDLE_OPS, _VAR_HANDLE_OPS,
                                                    _downstream, _feed_expansions,
                                                    _fed_ref_into_ref_op,
                                                    _is_session_resource, _keeps_no_input,
                                                    _needed_ops, _tensor_key, _unfed_placeholder,
                                                    _v1_control_flow)
from compat.runtime.backends.eager.variables import VariableMap


__all__ = ['NAME', 'Runner', 'VariableMap']


NAME = "eager"


_Device = collections.namedtuple("_Device", ["name", "device_type", "memory_limit_bytes",
                                             "incarnation"])


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
                node.attr["dtype"].type = t.dtype.base_dtype.as_datatype_enum
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
        # TF1's ref variables run as the session's resource variables
        renamed = to_resource_variables(graph_def, self.graph,
                                        [t.name for t in fetch_tensors])
        fetch_names = []
        for i, t in enumerate(fetch_tensors):
            if t.op.type not in _FUNCTIONAL_CONTROL_FLOW:
                fetch_names.append(renamed.get(t.name, t.name))
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
        error = _unfed_placeholder(needed.values()) or _fed_ref_into_ref_op(fed_tensors,
                                                                           needed)
        if error is not None:
            raise error
        for t in fetch_tensors:
            if t.name not in fed and (t.op.type in _RESOURCE_HANDLE_OPS
                                      or _is_session_resource(t.op)):
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
            node.attr["dtype"].type = t.dtype.base_dtype.as_datatype_enum
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

        # a read of a variable that no write of this run precedes sees the value from
        # before the run's writes, as on the Session (see .ordering)
        # (resource variables only: a TF1 ref variable's reads alias its buffer, so they
        # see the run's updates on the Session, and .ref_variables orders them so)
        order_early_reads(graph_def, [
            f"{_RES_PREFIX}{res_names[name + ':0']}" for name, op in var_ops.items()
            if op.type in _RESOURCE_HANDLE_OPS])
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

        specs = [tf.TensorSpec(t.shape, t.dtype.base_dtype) for t in fed_tensors]
        # tracing makes a function graph whose outer graph is the default one (TF1
        # code's own graph at module level), which gets empty collections from it
        with _collections_unchanged(ops.get_default_graph()):
            concrete = _trace(body, specs, bool(_v1_control_flow(needed.values()) or any(
                n.op in _V1_CONTROL_FLOW for n in graph_def.node)))
        sig = _Signature()
        sig.function = concrete
        sig.feed_dtypes = [t.dtype.base_dtype for t in fed_tensors]
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

    def check_fetches(self, fetches):
        """Raises TF1's TypeError / ValueError for fetches ``run`` cannot interpret."""
        with context.eager_mode():
            tf_session._FetchHandler(self.graph, fetches, {})

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
        if not feed_dict:
            with context.eager_mode():
                handler = tf_session._FetchHandler(self.graph, fetches, {})
            if not handler.fetches() and not handler.targets():
                # the Session answers a call with nothing to fetch or feed without
                # looking at the handle (a finished run's handle included)
                return handler.build_results(self, [])
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


def _trace(body, specs, v1_control_flow):
    """The concrete function of one signature."""
    if v1_control_flow:
        # TF1 control flow (Enter/Exit/Switch/Merge: a graph built with TF 1.x or with
        # control flow v2 disabled, or cond / while_loop lowered to it by the graph
        # optimizer, as in a v1 Session). tf.function's automatic control dependencies
        # would tie stateful ops inside a loop frame to outputs outside it ("inputs from
        # different frames"); like TF's own wrap_function (used to load TF1
        # SavedModels), build without them: the Session's ordering, data and control
        # edges only.
        return tf.compat.v1.wrap_function(body, specs)
    return tf.function(body, input_signature=specs, autograph=False).get_concrete_function()


@contextlib.contextmanager
def _collections_unchanged(graph):
    """Removes the (empty) collections a block created on `graph`."""
    before = set(graph.get_all_collection_keys())
    try:
        yield
    finally:
        for key in set(graph.get_all_collection_keys()) - before:
            if not graph.get_collection(key):
                # not clear_collection: a finalized graph (MonitoredSession) refuses it,
                # and this only takes back what the trace added
                graph._collections.pop(key, None)
