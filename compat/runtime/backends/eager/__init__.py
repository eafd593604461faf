"""The eager runtime: TF2 concrete functions over session-owned eager variables.

* :mod:`.runner`: ``Runner``, one per Session: the plan cache and ``run``.
* :mod:`.variables`: ``VariableMap``, the session's eager variables by graph name.
* :mod:`.subgraph`: which ops a run needs, and which state is the session's.
* :mod:`.optimize`: Grappler, configured exactly as a v1 Session configures it.
* :mod:`.random_ops`: TF1's stateful random kernels as per-session Philox streams.
* :mod:`.signature`: one (feeds, fetches, targets) signature compiled to a function.
* :mod:`.errors`: kernel errors rewritten to the Session's messages.
* :mod:`.partial_run`: ``Session.partial_run`` emulated on functions.
* :mod:`.plans`: the cached per-structure fast path of ``run``.
"""

from compat.runtime.backends.eager.runner import NAME, Runner, VariableMap

__all__ = ["NAME", "Runner", "VariableMap"]
