"""``compat.Session``: TF1 Session semantics on either runtime.

The facade owns what is the same on every backend (backend choice, lifecycle,
default-session handling, fetch-name rewriting) and hands execution to a
backend ``Runner`` (see :mod:`compat.runtime.backends`).
"""

import threading

from tensorflow.python.client import session as _tf_session
from tensorflow.python.framework import errors
from tensorflow.python.framework import ops
from tensorflow.python.framework import stack as _stack

from compat.runtime import config as _config
from compat.tf1 import graphs as _tf1_graphs
from compat.runtime.feeds import VariableFeeds
from compat.runtime.fetches import FetchResolver
from compat.runtime.backends import get_backend

__all__ = ["Session", "InteractiveSession"]

_CLOSED_MESSAGE = "Attempted to use a closed Session."


def _check_run_protos(options, run_metadata):
    """TF1's check of ``run``'s protos: AttributeError for anything that is not one."""
    if options and not hasattr(options, "SerializeToString"):
        raise AttributeError(
            f"{type(options).__name__!r} object has no attribute 'SerializeToString' "
            "(options must be a tf.compat.v1.RunOptions)")
    if run_metadata and not hasattr(run_metadata, "ParseFromString"):
        raise AttributeError(
            f"{type(run_metadata).__name__!r} object has no attribute 'ParseFromString' "
            "(run_metadata must be a tf.compat.v1.RunMetadata)")


class Session(_tf_session.SessionInterface):
    """A TF1 ``tf.Session`` that runs on the ``graph`` or ``eager`` backend.

    Args:
      target: execution engine, as in TF1 (only ``''`` on the eager backend).
      graph: the ``tf.Graph`` to run; default: the default graph at construction.
      config: a ``tf.ConfigProto``.
      backend: ``'graph'`` or ``'eager'``; default: resolved by
        :func:`compat.resolve_backend` (context, module table, environment).
    """

    def __init__(self, target="", graph=None, config=None, backend=None):
        name, source = _config.resolve_backend(backend, _config.caller_module(2))
        if graph is None:
            graph = ops.get_default_graph()
        elif not isinstance(graph, ops.Graph):
            raise TypeError(f"graph must be a tf.Graph, but got {type(graph)}")
        _tf1_graphs.mark_tf1_graph(graph)
        self._graph = graph
        self._config = config  # read by tf-keras (distributed session configs), as TF's
        self._backend = name
        self._backend_source = source
        self._closed = False
        self._lock = threading.Lock()
        self._graph_cm = None
        self._session_cm = None
        self._resolver = FetchResolver(graph)
        self._feeds = VariableFeeds(graph)
        self._runner = get_backend(name).Runner(graph, target, config)

    # --- properties -------------------------------------------------------
    @property
    def backend(self):
        """Name of the runtime executing this session (``'graph'`` or ``'eager'``)."""
        return self._backend

    @property
    def backend_source(self):
        """Where the backend choice came from (argument, use_backend, table, ...)."""
        return self._backend_source

    @property
    def graph(self):
        return self._graph

    @property
    def graph_def(self):
        return self._graph.as_graph_def(add_shapes=True)

    @property
    def sess_str(self):
        return getattr(self._runner, "sess_str", "")

    @property
    def runner(self):
        """The backend runner (advanced use: e.g. the eager backend's variables)."""
        return self._runner

    # --- running ------------------------------------------------------------
    def _check_open(self):
        if self._closed:
            raise RuntimeError(_CLOSED_MESSAGE)

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs `fetches` (any TF1 fetch structure) with `feed_dict`, as TF1 did."""
        if self._closed:
            raise RuntimeError(_CLOSED_MESSAGE)
        if options is not None or run_metadata is not None:
            _check_run_protos(options, run_metadata)
        fetches = self._resolver.resolve(fetches)
        if feed_dict:
            feed_dict = self._feeds.resolve(fetches, feed_dict)
        return self._runner.run(fetches, feed_dict, options, run_metadata)

    def make_callable(self, fetches, feed_list=None, accept_options=False):
        """Returns a Python callable running `fetches` with positional feeds, with TF1's
        contract: made on a closed session too (calling it then fails); with a
        `feed_list`, extra positional values are ignored and keywords go to ``run``;
        without one, the callable takes no arguments (``options`` / ``run_metadata``
        keywords with `accept_options`)."""
        fetches = self._resolver.resolve(fetches)
        variable_feeds = isinstance(feed_list, (list, tuple)) and self._feeds.any_variable(
            feed_list)
        if hasattr(self._runner, "make_callable") and not variable_feeds:
            return self._runner.make_callable(fetches, feed_list, accept_options)
        if feed_list is not None:
            if not isinstance(feed_list, (list, tuple)):
                raise TypeError("Argument `feed_list` must be a list or tuple. "
                                f"Received: feed_list={feed_list}")

            def generic_run(*feed_args, **kwargs):
                return self.run(fetches, feed_dict=dict(zip(feed_list, feed_args)),
                                **kwargs)

            return generic_run
        self._runner.check_fetches(fetches)  # TypeError / ValueError now, as TF1

        def call(options=None, run_metadata=None):
            if self._closed:
                raise errors.CancelledError(None, None, "Session has been closed.")
            if options is not None or run_metadata is not None:
                _check_run_protos(options, run_metadata)
            return self._runner.run(fetches, None, options, run_metadata)

        return call if accept_options else (lambda: call())

    def _make_callable_from_options(self, callable_options):
        """TF1's private ``Session._make_callable_from_options`` (what tf-keras's TF1
        training loops call, ``backend.GraphExecutionFunction``): a callable for a
        ``CallableOptions`` proto (``feed`` / ``fetch`` tensor names, ``target`` op
        names, ``tensor_connection``s, ``run_options``), called with one array per
        ``feed`` name (keyword ``run_metadata``), returning the list of ``fetch``
        values. On the graph backend it is the v1 Session's own callable."""
        self._check_open()
        if hasattr(self._runner, "make_callable_from_options"):
            return self._runner.make_callable_from_options(callable_options)
        graph = self._graph
        element = graph.as_graph_element
        feeds = [element(name) for name in callable_options.feed]
        fetches = [element(name) for name in callable_options.fetch]
        targets = [element(name, allow_tensor=False, allow_operation=True)
                   for name in callable_options.target]
        n_fetch = len(fetches)
        connections = [(element(c.from_tensor), element(c.to_tensor))
                       for c in callable_options.tensor_connection]
        run = self.make_callable(fetches + targets, feeds) if feeds else \
            self.make_callable(fetches + targets)
        if not connections:
            def call(*args, **kwargs):
                # run_metadata: accepted and left empty, as Session.run does on eager
                return list(run(*args)[:n_fetch]) if feeds else list(run()[:n_fetch])
            return call
        # A connection feeds `to_tensor` with `from_tensor`'s value in the same step on a
        # v1 Session; here `from_tensor` is computed by a run of its own first (with the
        # callable's feeds), then fed (see the caveats of the prototype).
        sources = [c[0] for c in connections]
        sinks = [c[1] for c in connections]
        source_run = self.make_callable(sources, feeds) if feeds else \
            self.make_callable(sources)
        step = self.make_callable(fetches + targets, feeds + sinks)

        def call_connected(*args, **kwargs):
            values = source_run(*args) if feeds else source_run()
            return list(step(*(list(args) + list(values)))[:n_fetch])

        return call_connected

    def partial_run_setup(self, fetches, feeds=None):
        self._check_open()
        if not hasattr(self._runner, "partial_run_setup"):
            raise NotImplementedError(
                f"Session.partial_run_setup is not supported by the {self._backend!r} "
                "backend; use Session.run with the full feed_dict.")
        return self._runner.partial_run_setup(self._resolver.resolve(fetches), feeds)

    def partial_run(self, handle, fetches, feed_dict=None):
        self._check_open()
        if not hasattr(self._runner, "partial_run"):
            raise NotImplementedError(
                f"Session.partial_run is not supported by the {self._backend!r} backend.")
        return self._runner.partial_run(handle, self._resolver.resolve(fetches), feed_dict)

    def list_devices(self):
        if self._closed:
            raise errors.CancelledError(None, None, "Session has been closed.")
        return self._runner.list_devices()

    # --- lifecycle ----------------------------------------------------------
    def close(self):
        """Frees the session's resources; further calls raise RuntimeError."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._runner.close()

    def as_default(self):
        """Context manager making this the default session (``Tensor.eval()``)."""
        return _stack.default_session(self)

    def __enter__(self):
        if self._graph_cm is not None:
            raise RuntimeError(
                "Session context managers are not re-entrant. Use `Session.as_default()` "
                "if you want to enter a session multiple times.")
        self._graph_cm = self._graph.as_default()
        self._session_cm = self.as_default()
        self._graph_cm.__enter__()
        try:
            return self._session_cm.__enter__()
        except BaseException:
            self._graph_cm.__exit__(None, None, None)
            self._graph_cm = None
            raise

    def __exit__(self, exc_type, exc_value, tb):
        if exc_type is RuntimeError and "Nesting violated" in str(exc_value):
            exc_type = exc_value = tb = None
        try:
            self._session_cm.__exit__(exc_type, exc_value, tb)
        finally:
            try:
                self._graph_cm.__exit__(exc_type, exc_value, tb)
            finally:
                self._graph_cm = None
                self._session_cm = None
                self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __repr__(self):
        state = "closed" if self._closed else "open"
        return f"<compat.Session backend={self._backend!r} {state}>"

    @staticmethod
    def reset(target, containers=None, config=None):
        """Resets resource containers on `target` (distributed TF1 only)."""
        import tensorflow as tf
        tf.compat.v1.Session.reset(target, containers, config)


class InteractiveSession(Session):
    """A Session that installs itself as the default session, as TF1's did.

    Unlike TF1 it does not switch the thread into graph mode: ops built through
    ``compat.v1`` still land in the default graph, and TF2 code keeps running
    eagerly.
    """

    def __init__(self, target="", graph=None, config=None, backend=None):
        super().__init__(target, graph, config, backend)
        self._default_session = self.as_default()
        self._default_session.enforce_nesting = False
        self._default_session.__enter__()
        self._explicitly_closed = False

    def close(self):
        if not self._closed:
            super().close()
            if self._default_session is not None:
                try:
                    self._default_session.__exit__(None, None, None)
                except AssertionError:
                    pass
                self._default_session = None

    def __del__(self):
        try:
            Session.close(self)
        except Exception:  # pragma: no cover
            pass
