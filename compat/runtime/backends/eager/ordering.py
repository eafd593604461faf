"""The order of a run's unordered reads and writes of one variable, made the Session's.

TF1 programs read variables that the same run updates with nothing ordering the two: a
learning-rate schedule reads ``global_step`` while ``minimize(global_step=...)``
increments it, a fetch of a variable sits beside its update. A v1 Session gives the same
answer every run in practice: such a read needs only the variable, so it is ready when
the run starts and runs before the update, which waits for the gradients. The eager
backend's function had no such schedule (under TF1 control flow it runs with data and
control edges only, so the two raced; otherwise tf.function's automatic control
dependencies ordered them by node order, not by readiness), and training differed from
run to run.

The rule, stated once: a read of a variable that depends on no write of the run (an
*early* read) runs before every write of that variable in the run; it sees the value the
variable had when the run started, as on the Session. Reads that depend on a write
(``control_dependencies([assign])``, an op chain through an update) keep the order their
edges give. Adding the edges cannot make a cycle: they point from early reads, which no
write reaches, to writes.
"""

__all__ = ["order_early_reads"]

# Ops that read a variable's value through its handle and change nothing.
_READS = frozenset({"ReadVariableOp", "ResourceGather", "ResourceGatherNd"})
# Ops that only look at the handle (no value read).
_NEUTRAL = frozenset({"VarIsInitializedOp", "VariableShape", "Identity"})


def _node_input_name(inp):
    name = inp[1:] if inp.startswith("^") else inp
    return name.split(":")[0]


def order_early_reads(graph_def, handles):
    """Adds control edges (in place) from each early read of a variable to every write
    of it in `graph_def`; `handles` names the nodes that stand for the variables'
    handles. Returns the number of edges added."""
    handles = set(handles)
    nodes = {node.name: node for node in graph_def.node}
    readers, writers = {}, {}
    for node in graph_def.node:
        for inp in node.input:
            if inp.startswith("^"):
                continue
            handle = _node_input_name(inp)
            if handle not in handles:
                continue
            if node.op in _READS:
                readers.setdefault(handle, []).append(node.name)
            elif node.op not in _NEUTRAL:
                # assignments, optimizer applies, scatters, and anything else that takes
                # the handle (function calls, cond branches): counted as writes
                writers.setdefault(handle, set()).add(node.name)
    if not writers:
        return 0
    all_writers = set().union(*writers.values())
    after_write = {}  # node name -> whether some write of the run is an ancestor

    def reached(name):
        state = after_write.get(name)
        if state is not None:
            return state
        stack, visiting = [(name, False)], set()
        while stack:
            current, expanded = stack.pop()
            if current in after_write:
                continue
            node = nodes.get(current)
            inputs = [_node_input_name(i) for i in node.input] if node is not None else []
            if not expanded:
                if current in visiting:  # a TF1 loop's back edge: already on the path
                    continue
                visiting.add(current)
                stack.append((current, True))
                stack.extend((i, False) for i in inputs
                             if i not in after_write and i not in visiting)
                continue
            after_write[current] = any(i in all_writers or after_write.get(i, False)
                                       for i in inputs)
        return after_write[name]

    added = 0
    for handle, names in readers.items():
        targets = writers.get(handle)
        if not targets:
            continue
        for read in names:
            if reached(read):
                continue
            for write in sorted(targets):
                node = nodes[write]
                edge = f"^{read}"
                if edge not in node.input:
                    node.input.append(edge)
                    added += 1
    return added
