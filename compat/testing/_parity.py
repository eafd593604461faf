"""Backend parity: run one TF1 graph on several backends in lockstep and compare.

:func:`assert_backends_agree` builds a graph once, opens one
:class:`compat.Session` per backend on it, gives every session the same initial
variable values, and then, step by step, compares the named outputs, the
gradients of the loss and every variable. The first difference raises
:class:`BackendDivergence`, whose message names the step and the tensor and,
where it can, the first op whose output differs while its inputs agree.
"""

import dataclasses
import fnmatch
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence

import numpy as np
import tensorflow as tf
from tensorflow.python.framework import dtypes
from tensorflow.python.framework import indexed_slices
from tensorflow.python.framework import ops

from compat.runtime.session import Session

__all__ = [
    "BackendDivergence",
    "DEFAULT_TOLERANCE",
    "EXACT",
    "ParityReport",
    "Spec",
    "Tolerance",
    "assert_backends_agree",
    "compare_values",
]

_V1 = tf.compat.v1
_UNFETCHABLE = (dtypes.resource, dtypes.variant)


def _headline(message):
    """The kernel's own words in a Session error's message: TF's header ("Graph
    execution error", where the failing op was defined, its name) left out."""
    lines = (message or "").splitlines()
    if lines and lines[0].startswith("Graph execution error"):
        lines = lines[1:]
        node = next((i for i, line in enumerate(lines) if line.startswith("Node: ")), None)
        if node is not None:
            lines = lines[node + 1:]
    for line in lines:
        text = line.strip()
        if text and not text.startswith(("Detected at node", "File ", "<stack traces")):
            return text
    return ""


@dataclasses.dataclass(frozen=True)
class Tolerance:
    """``|a - b| <= atol + rtol * |b|`` elementwise (NaN equals NaN); ``EXACT``
    demands bit-equal values (and equal shapes and dtypes)."""

    rtol: float = 0.0
    atol: float = 0.0

    @property
    def exact(self):
        return self.rtol == 0.0 and self.atol == 0.0

    def __str__(self):
        return "exact" if self.exact else f"rtol={self.rtol:g}, atol={self.atol:g}"


EXACT = Tolerance(0.0, 0.0)
DEFAULT_TOLERANCE = Tolerance(rtol=1e-6, atol=1e-7)


@dataclasses.dataclass
class Spec:
    """What to compare in a graph.

    Attributes:
      outputs: name -> tensor (or tensor name) evaluated at every step.
      loss: scalar tensor whose gradients w.r.t. the trainable variables are
        compared (default: ``outputs['loss']`` if present).
      train_op: op (or tensor) run once per training step.
      init_ops: run once per session after it opens (default: global and local
        variable initializers and ``tables_initializer``).
      init_feed: feed for ``init_ops`` (e.g. an initializable iterator's data).
    """

    outputs: Mapping
    loss: object = None
    train_op: object = None
    init_ops: object = None
    init_feed: Mapping = None


class BackendDivergence(AssertionError):
    """Two backends computed different values.

    Attributes: ``step``, ``name`` (the compared key: an output name,
    ``grad/<variable>`` or ``var/<variable>``), ``backends`` (reference, other),
    ``index`` (first differing element), ``op`` (the localized op name or None).
    """

    def __init__(self, message, step=None, name=None, backends=None, index=None, op=None):
        super().__init__(message)
        self.step, self.name, self.backends, self.index, self.op = (
            step, name, backends, index, op)


@dataclasses.dataclass
class ParityReport:
    """Result of a passing check: what was compared and the largest differences."""

    backends: tuple
    steps: int
    comparisons: int = 0
    max_abs_diff: dict = dataclasses.field(default_factory=dict)
    # (step, label, error class, message) where every backend raised the same error
    errors: list = dataclasses.field(default_factory=list)

    def _record(self, name, diff):
        self.comparisons += 1
        if diff > self.max_abs_diff.get(name, -1.0):
            self.max_abs_diff[name] = diff

    @property
    def bit_identical(self):
        return all(d == 0.0 for d in self.max_abs_diff.values())


# --- value comparison ----------------------------------------------------------
def _as_array(value):
    if isinstance(value, tf.compat.v1.SparseTensorValue):
        raise TypeError("compare sparse values component-wise")
    return np.asarray(value)


def compare_values(a, b, tolerance=DEFAULT_TOLERANCE):
    """Returns None if `a` and `b` agree within `tolerance`, else a dict
    describing the first difference (``reason``, ``index``, ``a``, ``b``,
    ``count``, ``size``, ``max_abs``)."""
    a, b = _as_array(a), _as_array(b)
    if a.shape != b.shape:
        return {"reason": f"shapes differ: {a.shape} vs {b.shape}"}
    if a.dtype != b.dtype:
        return {"reason": f"dtypes differ: {a.dtype} vs {b.dtype}"}
    if a.dtype.kind in "fc":
        if tolerance.exact:
            bad = ~((a == b) | (np.isnan(a) & np.isnan(b)))
            # bit-equality also separates 0.0 from -0.0
            if a.dtype.kind == "f" and a.size:
                bits = a.dtype.itemsize * 8
                view = f"u{a.dtype.itemsize}" if bits in (16, 32, 64) else None
                if view is not None:
                    bad = bad | ((a.view(view) != b.view(view)) & ~np.isnan(a))
        else:
            bad = ~np.isclose(a, b, rtol=tolerance.rtol, atol=tolerance.atol, equal_nan=True)
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
        finite = diff[np.isfinite(diff)]
        max_abs = float(finite.max()) if finite.size else 0.0
    else:
        bad = a != b
        max_abs = 0.0 if not np.any(bad) else float("nan")
    bad = np.asarray(bad)
    if not bad.any():
        return None if a.dtype.kind not in "fc" else {"ok": True, "max_abs": max_abs}
    first = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
    return {"reason": None, "index": first, "a": a[first], "b": b[first],
            "count": int(bad.sum()), "size": int(bad.size), "max_abs": max_abs}


def _describe(result, names, tolerance):
    ref, other = names
    if result.get("reason"):
        return result["reason"]
    where = f"at index {result['index']}" if result["index"] else "(scalar)"
    return (f"{result['count']} of {result['size']} elements differ beyond {tolerance}; "
            f"first {where}: {ref}={result['a']!r} {other}={result['b']!r}"
            f" (max abs diff {result['max_abs']:.3g})")


# --- graph helpers -------------------------------------------------------------
def _element(graph, item, what, op_ok=False):
    if isinstance(item, str):
        try:
            element = graph.as_graph_element(item, allow_tensor=True, allow_operation=True)
        except (KeyError, ValueError) as e:
            raise ValueError(f"{what} {item!r} is not in the graph: {e}") from None
        if isinstance(element, ops.Operation) and not op_ok:
            if len(element.outputs) != 1:
                raise ValueError(f"{what} {item!r} names an op with {len(element.outputs)} "
                                 "outputs; name the tensor ('op:0')")
            element = element.outputs[0]
        return element
    if isinstance(item, tf.Variable):
        return item
    graph_of = getattr(item, "graph", None)
    if graph_of is not graph:
        raise ValueError(f"{what} {item!r} is not in the graph being compared "
                         "(all outputs, feeds and ops must belong to one graph).")
    return item


def _graph_of(spec):
    for value in list(spec.outputs.values()) + [spec.loss, spec.train_op]:
        g = getattr(value, "graph", None)
        if isinstance(g, ops.Graph):
            return g
    return None


def _variables(graph):
    seen, out = set(), []
    for key in (ops.GraphKeys.GLOBAL_VARIABLES, ops.GraphKeys.LOCAL_VARIABLES):
        for v in graph.get_collection(key):
            if v.op.name not in seen:
                seen.add(v.op.name)
                out.append(v)
    return out


def _ancestors(roots, fed, follow_control):
    """Ops feeding `roots` (ops), stopping at fed tensor names, in graph order."""
    needed, stack = set(), list(roots)
    while stack:
        op = stack.pop()
        if op.name in needed:
            continue
        needed.add(op.name)
        for t in op.inputs:
            if t.name not in fed:
                stack.append(t.op)
        if follow_control:
            stack.extend(op.control_inputs)
    graph = roots[0].graph
    return [op for op in graph.get_operations() if op.name in needed]


def _fetchable_outputs(graph, op_list, fed):
    tensors = []
    for op in op_list:
        if not graph.is_fetchable(op):
            continue
        for t in op.outputs:
            if t.dtype.base_dtype in _UNFETCHABLE or t.name in fed:
                continue
            if graph.is_fetchable(t):
                tensors.append(t)
    return tensors


# --- the check -------------------------------------------------------------------
class _Check:
    def __init__(self, spec, graph, backends, tolerance, tolerances, gradients, variables,
                 init, localize, joint):
        self.spec, self.graph, self.backends = spec, graph, tuple(backends)
        self.tolerance, self.tolerances = tolerance, dict(tolerances or {})
        self.localize, self.joint, self.init = localize, joint, init
        self.outputs = {name: _element(graph, t, "output") for name, t in spec.outputs.items()}
        self.train_op = (None if spec.train_op is None
                         else _element(graph, spec.train_op, "train_op", op_ok=True))
        self.vars = _variables(graph) if variables or init is not None else []
        self.compare_vars = variables
        with graph.as_default():
            self.grads = self._gradients() if gradients else {}
            if spec.init_ops is None:
                self.init_ops = [_V1.global_variables_initializer(),
                                 _V1.local_variables_initializer(),
                                 _V1.tables_initializer()]
            else:
                self.init_ops = list(spec.init_ops) if isinstance(
                    spec.init_ops, (list, tuple)) else [spec.init_ops]
        self._loaders = {}
        self.report = ParityReport(self.backends, 0)

    def _gradients(self):
        loss = self.spec.loss
        if loss is None:
            loss = self.outputs.get("loss")
        if loss is None:
            return {}
        loss = _element(self.graph, loss, "loss")
        trainable = self.graph.get_collection(ops.GraphKeys.TRAINABLE_VARIABLES)
        if not trainable:
            return {}
        grads = _V1.gradients(loss, trainable)
        out = {}
        for var, g in zip(trainable, grads):
            if g is None:
                continue
            if isinstance(g, indexed_slices.IndexedSlices):
                g = tf.convert_to_tensor(g)
            out[f"grad/{var.op.name}"] = g
        return out

    def tolerance_for(self, name):
        for pattern, tol in self.tolerances.items():
            if fnmatch.fnmatchcase(name, pattern):
                return tol if isinstance(tol, Tolerance) else Tolerance(*tol)
        return self.tolerance

    # loading values into a session
    def load(self, sess, values):
        by_name = {v.op.name: v for v in self.vars}
        feed, targets = {}, []
        for name, value in values.items():
            key = name[:-2] if name.endswith(":0") else name
            var = by_name.get(key)
            if var is None:
                raise KeyError(f"init: no variable named {name!r} in the graph; "
                               f"variables: {sorted(by_name)}")
            ph, assign = self._loader(var)
            feed[ph] = value
            targets.append(assign)
        if targets:
            sess.run(targets, feed)

    def _loader(self, var):
        entry = self._loaders.get(var.op.name)
        if entry is None:
            with self.graph.as_default(), ops.name_scope("compat_parity_load/"):
                ph = _V1.placeholder(var.dtype.base_dtype, var.shape)
                assign = var.assign(ph, read_value=False) if hasattr(var, "handle") \
                    else _V1.assign(var, ph)
            entry = self._loaders[var.op.name] = (ph, assign)
        return entry

    def read_vars(self, sess):
        return sess.run({v.op.name: v for v in self.vars}) if self.vars else {}

    def feed(self, feeds, step):
        if feeds is None:
            value = {}
        elif callable(feeds):
            value = feeds(step)
        elif isinstance(feeds, Mapping):
            value = feeds
        elif isinstance(feeds, Sequence):
            if step >= len(feeds):
                raise ValueError(f"feeds has {len(feeds)} entries but step {step} needs one "
                                 "(give steps + 1 feed dicts, a dict or a callable)")
            value = feeds[step]
        else:
            raise TypeError(f"feeds must be a dict, a sequence of dicts or a callable, "
                            f"got {type(feeds).__name__}")
        return {_element(self.graph, k, "feed key"): v for k, v in (value or {}).items()}

    # comparing
    def compare(self, step, label, values, names_order, fed=None, replay=None):
        ref_name = self.backends[0]
        ref = values[ref_name]
        for other_name in self.backends[1:]:
            other = values[other_name]
            for name in names_order:
                tol = self.tolerance_for(name)
                result = compare_values(ref[name], other[name], tol)
                if result is None or result.get("ok"):
                    self.report._record(name, (result or {}).get("max_abs", 0.0))
                    continue
                self.fail(step, label, name, ref[name], result, (ref_name, other_name), tol,
                          fed, replay)

    def fail(self, step, label, name, ref_value, result, names, tol, fed, replay):
        arr = np.asarray(ref_value)
        what = ("gradient of variable " + repr(name[5:]) if name.startswith("grad/")
                else "variable " + repr(name[4:]) if name.startswith("var/")
                else "output " + repr(name))
        lines = [f"Backends {names[0]!r} and {names[1]!r} disagree at step {step} ({label}) "
                 f"on {what} [{arr.dtype}, shape {arr.shape}]:",
                 "  " + _describe(result, names, tol)]
        op_name = None
        if "with train_op" in label:
            lines.append("  (fetched in the same run as train_op: in TF1 a fetch that reads a "
                         "variable the train op writes, without a data or control dependency, "
                         "may see either value; fetch it in its own run)")
        if self.localize:
            try:
                op_name, text = self._localize(name, names, fed, replay)
            except Exception as e:  # localisation is a diagnostic: never mask the failure
                op_name, text = None, f"(could not localize: {type(e).__name__}: {e})"
            lines.append("  " + text)
        raise BackendDivergence("\n".join(lines), step=step, name=name, backends=names,
                                index=result.get("index"), op=op_name)

    def _localize(self, name, names, fed, replay):
        fed = fed or {}
        fed_names = {t.name for t in fed}
        if name.startswith("var/"):
            if replay is None or self.train_op is None:
                return None, "(variables differ before any training step: compare initializers)"
            before, train_fed = replay
            fed, fed_names = train_fed, {t.name for t in train_fed}
            for backend in names:
                self.load(self.sessions[backend], before)
            root = self.train_op.op if isinstance(self.train_op, tf.Tensor) else self.train_op
            op_list = _ancestors([root], fed_names, follow_control=True)
        else:
            target = (self.outputs.get(name) if name in self.outputs else self.grads[name])
            op_list = _ancestors([target.op], fed_names, follow_control=False)
        tensors = _fetchable_outputs(self.graph, op_list, fed_names)
        if not tensors:
            return None, "(no intermediate tensor to localize the difference)"
        values = {b: self.sessions[b].run(tensors, fed) for b in names}
        for t, va, vb in zip(tensors, values[names[0]], values[names[1]]):
            tol = self.tolerance_for(name)
            result = compare_values(va, vb, tol)
            if result is None or result.get("ok"):
                continue
            inputs = ", ".join(repr(i.name) for i in t.op.inputs) or "none"
            return t.op.name, (
                f"First op whose output differs while its inputs agree: {t.op.name!r} "
                f"({t.op.type}), output {t.name!r}: {_describe(result, names, tol)}; "
                f"inputs: {inputs}")
        if name.startswith("var/"):
            var_name = name[4:]
            writers = [op.name for op in op_list if op._is_stateful and any(  # noqa: SLF001
                i.op.name == var_name for i in op.inputs)]
            return (writers[0] if writers else None), (
                "Every tensor feeding the update agrees (replayed from the values before "
                f"the step); the difference is inside the op(s) updating it: {writers}")
        return None, "(every intermediate tensor agrees: the difference is in the fetch itself)"

    # running
    def run_all(self, step, label, fetches, fed):
        """Runs `fetches` on every session. Returns {backend: value}, or None when
        every backend raised the same TF error class (recorded in the report);
        raises BackendDivergence when only some raised or the classes differ."""
        values, failures = {}, {}
        for b, sess in self.sessions.items():
            try:
                values[b] = sess.run(fetches, fed)
            except tf.errors.OpError as e:
                failures[b] = e
        if not failures:
            return values
        kinds = {b: type(e).__name__ for b, e in failures.items()}
        if len(failures) == len(self.sessions) and len(set(kinds.values())) == 1:
            first = next(iter(failures.values()))
            self.report.errors.append((step, label, kinds[self.backends[0]],
                                       _headline(first.message)))
            return None
        lines = [f"Backends disagree at step {step} ({label}) on whether the run fails:"]
        for b in self.backends:
            if b in failures:
                lines.append(f"  {b}: raised {kinds[b]}: {_headline(failures[b].message)}")
            else:
                lines.append(f"  {b}: succeeded")
        raise BackendDivergence("\n".join(lines), step=step, name=None,
                                backends=tuple(self.backends))

    def run(self, feeds, steps, round_trip):
        self.sessions = {}
        try:
            for b in self.backends:
                self.sessions[b] = Session(graph=self.graph, backend=b)
            init_feed = self.feed(self.spec.init_feed, 0) if self.spec.init_feed else None
            for sess in self.sessions.values():
                sess.run(self.init_ops, init_feed)
            if isinstance(self.init, Mapping) or self.init == "copy":
                start = self.read_vars(self.sessions[self.backends[0]])
                for b in self.backends[1:]:
                    self.load(self.sessions[b], start)
                if isinstance(self.init, Mapping):
                    for sess in self.sessions.values():
                        self.load(sess, self.init)
            elif self.init != "seed":
                raise ValueError(f"init must be 'copy', 'seed' or a dict of values, "
                                 f"got {self.init!r}")
            var_values = self._compare_vars(0, "initial values")
            for step in range(steps + 1):
                fed = self.feed(feeds, step)
                train = step < steps and self.train_op is not None
                if train and self.joint:
                    ok = self._eval(step, fed, with_train=True)
                else:
                    ok = self._eval(step, fed)
                    if ok and train:
                        ok = self.run_all(step, "training step", self.train_op, fed) is not None
                if not ok:
                    break  # every backend raised the same error: they agree, stop here
                if train:
                    var_values = self._compare_vars(
                        step + 1, f"after training step {step + 1}", replay=(var_values, fed))
                self.report.steps = step
            if round_trip:
                self._round_trip(self.feed(feeds, steps))
        finally:
            for sess in self.sessions.values():
                sess.close()
        return self.report

    def _eval(self, step, fed, with_train=False):
        fetches = dict(self.outputs)
        fetches.update(self.grads)
        if not fetches and not with_train:
            return True
        label = "forward pass" if not with_train else "training step, fetched with train_op"
        if with_train:
            values = self.run_all(step, label, {"fetch": fetches, "train": self.train_op}, fed)
            values = values and {b: v["fetch"] for b, v in values.items()}
        else:
            values = self.run_all(step, label, fetches, fed)
        if values is None:
            return False
        self.compare(step, label, values, list(fetches), fed=fed)
        return True

    def _compare_vars(self, step, label, replay=None):
        if not self.vars:
            return {}
        values = {b: self.read_vars(s) for b, s in self.sessions.items()}
        if self.compare_vars:
            prefixed = {b: {f"var/{k}": v for k, v in vals.items()} for b, vals in values.items()}
            self.compare(step, label, prefixed, [f"var/{v.op.name}" for v in self.vars],
                         replay=replay)
        return values[self.backends[0]]

    def _round_trip(self, fed):
        savable = [v for v in self.graph.get_collection(ops.GraphKeys.GLOBAL_VARIABLES)]
        if not savable:
            return
        with self.graph.as_default():
            saver = _V1.train.Saver(var_list=savable, max_to_keep=None)
        tmp = tempfile.mkdtemp(prefix="compat-parity-")
        try:
            for i, src in enumerate(self.backends):
                with self.graph.as_default():
                    path = saver.save(self.sessions[src],
                                      os.path.join(tmp, f"{src}-{i}", "ckpt"),
                                      write_meta_graph=False)
                expected = self.read_vars(self.sessions[src])
                for dst in self.backends:
                    if dst == src:
                        continue
                    sess = Session(graph=self.graph, backend=dst)
                    try:
                        sess.run(self.init_ops, self.feed(self.spec.init_feed, 0)
                                 if self.spec.init_feed else None)
                        with self.graph.as_default():
                            saver.restore(sess, path)
                        got = self.read_vars(sess)
                        names = (src, f"{dst} (restored from {src}'s checkpoint)")
                        for v in savable:
                            result = compare_values(expected[v.op.name], got[v.op.name], EXACT)
                            if result is not None and not result.get("ok"):
                                raise BackendDivergence(
                                    f"Checkpoint round trip {src} -> {dst} changed variable "
                                    f"{v.op.name!r}: {_describe(result, names, EXACT)}",
                                    step=self.report.steps, name=f"var/{v.op.name}",
                                    backends=names, index=result.get("index"))
                        fetches = dict(self.outputs)
                        if fetches:
                            a = self.sessions[src].run(fetches, fed)
                            b = sess.run(fetches, fed)
                            for name in fetches:
                                tol = self.tolerance_for(name)
                                result = compare_values(a[name], b[name], tol)
                                if result is not None and not result.get("ok"):
                                    raise BackendDivergence(
                                        f"After restoring {src}'s checkpoint on {dst}, output "
                                        f"{name!r} differs: {_describe(result, names, tol)}",
                                        step=self.report.steps, name=name, backends=names,
                                        index=result.get("index"))
                    finally:
                        sess.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def assert_backends_agree(build, feeds=None, *, steps=0, backends=("graph", "eager"),
                          tolerance=DEFAULT_TOLERANCE, tolerances=None, exact=False,
                          gradients=True, variables=True, init="copy", round_trip=False,
                          localize=True, joint=False):
    """Runs a TF1 graph on several backends in lockstep and asserts they agree.

    Args:
      build: callable building the graph. Called inside a fresh default graph;
        returns a :class:`Spec` or a mapping name -> tensor (the outputs; a key
        ``'loss'`` also drives the gradient comparison). It may build into a
        graph of its own (e.g. a legacy model class that owns ``self.graph``):
        the graph of the returned tensors is used.
      feeds: feed dict used at every step, a sequence with one feed dict per
        step (``steps + 1`` entries), or a callable ``step -> feed dict``. Keys
        are placeholders or their names.
      steps: training steps (``Spec.train_op``) to run. Step ``s`` evaluates
        outputs and gradients with feed ``s``, then trains on it, then compares
        every variable.
      backends: backends to compare; the first is the reference.
      tolerance: default :class:`Tolerance`; ``exact=True`` means :data:`EXACT`.
      tolerances: ``{pattern: Tolerance or (rtol, atol)}`` by compared key
        (fnmatch): output names, ``'grad/<var>'``, ``'var/<var>'``.
      gradients: compare gradients of the loss w.r.t. each trainable variable.
      variables: compare every global and local variable after each step.
      init: ``'copy'`` (initialize on the reference, copy values by name to the
        others), ``'seed'`` (each backend runs the initializers; tests seeded
        initializers themselves) or a mapping variable name -> value (loaded on
        every backend after the copy).
      round_trip: finally save each backend's variables with a ``Saver``,
        restore them on every other backend and compare (bit-exact).
      localize: on a difference, find the first op whose output differs.
      joint: fetch outputs in the same ``run`` as ``train_op`` (as TF1 training
        loops do, e.g. with iterator-fed graphs) instead of a separate run.

    Returns:
      a :class:`ParityReport`. Raises :class:`BackendDivergence` on the first
      difference.
    """
    if len(backends) < 2:
        raise ValueError(f"need at least two backends to compare, got {backends!r}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    graph = tf.Graph()
    with graph.as_default():
        spec = build()
    if isinstance(spec, Mapping):
        spec = Spec(outputs=dict(spec))
    if not isinstance(spec, Spec):
        raise TypeError(f"build() must return a Spec or a mapping of name -> tensor, "
                        f"got {type(spec).__name__}")
    if steps and spec.train_op is None:
        raise ValueError(f"steps={steps} needs Spec.train_op")
    actual = _graph_of(spec) or graph
    check = _Check(spec, actual, backends, EXACT if exact else tolerance, tolerances,
                   gradients, variables, init, localize, joint)
    return check.run(feeds, steps, round_trip)
