"""TF1's managed sessions through the shim.

``tf.train.MonitoredTrainingSession``, ``MonitoredSession``, ``SingularMonitoredSession``,
``Supervisor``, ``SessionManager`` and the session creators open their sessions inside
TensorFlow (``training/session_manager.py`` calls ``session.Session(...)``), so through
the plain guard they ran on a v1 Session whatever the backend. Used through
``compat.v1``, they open the shim's :class:`compat.Session` instead (the backend is
resolved for the user's module as for any ``tf.Session()``), including a session they
re-create after a recoverable error; used directly from TensorFlow, they are unchanged.
"""

import contextlib
import functools
import threading
import types

from tensorflow.python.client import session as tf_session
from tensorflow.python.training import coordinator as tf_coordinator
from tensorflow.python.training import session_manager as tf_session_manager
from tensorflow.python.training import supervisor as tf_supervisor

from compat.tf1 import guard as _guard

__all__ = ["in_shim_sessions", "install", "managed"]

_state = threading.local()
_install_lock = threading.Lock()


@contextlib.contextmanager
def _shim_sessions():
    """Sessions TensorFlow's session manager opens in this thread are the shim's."""
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1


def _open_session(target="", graph=None, config=None):
    if getattr(_state, "depth", 0):
        from compat.runtime.session import Session
        return Session(target, graph=graph, config=config)
    return tf_session.Session(target, graph=graph, config=config)


class _SessionModule(types.ModuleType):
    """Stands in for TensorFlow's ``client.session`` module inside its session manager:
    ``Session`` opens the shim's session inside a managed call, TF's otherwise; every
    other name is TensorFlow's."""

    Session = staticmethod(_open_session)

    def __getattr__(self, name):
        return getattr(tf_session, name)


def _looper_run(self):
    """A Supervisor service thread (summaries, steps/sec, timed checkpoints): on a
    shim session it runs in graph mode, as every thread did under TF1. A new thread
    starts eager under TF2, where ``training_util.global_step`` and ``Saver.save`` take
    their eager branches and fail on the graph's variables (raw TF 2.21's Supervisor
    fails there too)."""
    from compat.runtime.session import Session

    if isinstance(getattr(self, "_sess", None), Session):
        with self._sv._graph.as_default():  # pylint: disable=protected-access
            return tf_coordinator.LooperThread.run(self)
    return tf_coordinator.LooperThread.run(self)


def install():
    """Idempotent; changes nothing for code that does not go through ``compat.v1``
    (Supervisor threads change only when their session is the shim's)."""
    with _install_lock:
        if not isinstance(tf_session_manager.session, _SessionModule):
            tf_session_manager.session = _SessionModule(tf_session.__name__)
        for cls in (tf_supervisor.SVSummaryThread, tf_supervisor.SVStepCounterThread,
                    tf_supervisor.SVTimerCheckpointThread):
            if cls.run is tf_coordinator.LooperThread.run:
                cls.run = _looper_run


class _ManagedContext:
    """A context manager a managed object returns (``Supervisor.managed_session()``):
    its body opens the session when entered, so entering runs with the shim's
    sessions too."""

    def __init__(self, cm):
        self._cm = cm

    def __enter__(self):
        with _shim_sessions(), _guard.graph_mode():
            return self._cm.__enter__()

    def __exit__(self, exc_type, exc, tb):
        with _shim_sessions(), _guard.graph_mode():
            return self._cm.__exit__(exc_type, exc, tb)


def in_shim_sessions(fn):
    """`fn`, opening TensorFlow's managed sessions as the shim's while it runs."""
    @functools.wraps(fn)
    def call(*args, **kwargs):
        with _shim_sessions():
            result = fn(*args, **kwargs)
        if isinstance(result, contextlib._GeneratorContextManager):  # pylint: disable=protected-access
            return _ManagedContext(result)
        return result
    return call


class ManagedObject(_guard.GuardedObject):
    """A managed session (or creator, manager, supervisor): every method runs with the
    shim's sessions, so a session it opens or re-opens later is the shim's too."""

    def __getattr__(self, name):
        value = super().__getattr__(name)
        if (callable(_guard.unwrap(value))  # a proxied object (sv.coord) is not a method
                and not isinstance(value, (type, _guard.GuardedClass))):
            return in_shim_sessions(value)
        return value

    def __enter__(self):
        with _shim_sessions():
            entered = super().__enter__()
        return self if _guard.unwrap(entered) is self.__wrapped__ else entered

    def __exit__(self, exc_type, exc, tb):
        with _shim_sessions():
            return super().__exit__(exc_type, exc, tb)


class ManagedClass(_guard.GuardedClass):
    """A managed-session class: instances are built (opening their session) with the
    shim's sessions and returned as :class:`ManagedObject`."""

    def __call__(self, *args, **kwargs):
        return _build(self.__wrapped__, args, kwargs)


def _build(fn, args, kwargs):
    """Runs a managed-session constructor or factory in TF1's default graph with the
    shim's sessions and proxies what it returns."""
    build = _guard.guard_callable(fn, wrap_result=False)
    with _shim_sessions():
        return ManagedObject(build(*args, **kwargs))


def managed(value):
    """The shim's view of a managed-session class or factory function."""
    install()
    if isinstance(value, type):
        return ManagedClass(value)

    @functools.wraps(value)
    def factory(*args, **kwargs):
        return _build(value, args, kwargs)

    return factory
