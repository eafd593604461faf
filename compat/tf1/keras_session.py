"""tf-keras's TF1 session through the shim.

TF1 Keras (``compat.v1.keras``: tf-keras's TF1 API) runs its graph-mode training loops
(``training_v1``: ``fit`` / ``evaluate`` / ``predict`` on TF1 graphs) and
``K.get_session()`` / ``K.get_value`` / ``K.batch_set_value`` on the session
``tf_keras.src.backend._get_session`` returns: the default session if there is one
(``with tf.Session() as sess:``, already the shim's), the one set with
``K.set_session``, else one it creates itself with ``tf.compat.v1.Session``. That last
one is the shim's :class:`compat.Session` instead when the graph is a TF1 graph the shim
manages (built through ``compat.v1``), on the backend resolved for the user's module as
for any ``tf.Session()``. Other graphs (and distribution strategies) keep tf-keras's
behaviour.
"""

import functools
import threading

__all__ = ["install"]

_install_lock = threading.Lock()
_installed = []


def install():
    """Idempotent; changes nothing for graphs the shim does not manage."""
    with _install_lock:
        if _installed:
            return
        import tensorflow as tf
        from tf_keras.src import backend

        from compat.tf1 import graphs as _tf1_graphs

        original = backend._get_session

        @functools.wraps(original)
        def _get_session(op_input_list=()):
            if tf.compat.v1.get_default_session() is not None or tf.inside_function() \
                    or tf.distribute.has_strategy():
                return original(op_input_list)
            graph = backend._current_graph(op_input_list)
            if not _tf1_graphs.is_tf1_graph(graph):
                return original(op_input_list)
            session = getattr(backend._SESSION, "session", None)
            if session is None or session.graph is not graph:
                from compat.runtime.session import Session

                session = Session(graph=graph,
                                  config=backend.get_default_session_config())
                backend._SESSION.session = session
            return session

        _get_session.__compat_original__ = original
        backend._get_session = _get_session
        _installed.append(original)
