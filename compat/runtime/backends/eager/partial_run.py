"""``Session.partial_run`` emulated on functions: one call per step."""

import threading
from tensorflow.python.framework import dtypes
from tensorflow.python.framework import errors

from compat.runtime.backends.eager.subgraph import _needed_ops, _unfed_placeholder


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
