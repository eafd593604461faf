"""compat: run TF1 code unchanged on TensorFlow 2, on a graph or an eager runtime.

Public API::

    import compat.v1 as tf            # drop-in for `import tensorflow as tf` in TF1 code
    compat.Session(backend="eager")   # TF1 Session semantics on a chosen runtime
    with compat.use_backend("eager"): ...
    compat.backend()                  # the backend a Session created here would use
"""

from compat.runtime.config import (BACKENDS, DEFAULT_BACKEND, backend, module_table,
                                   override_backend, reload_config, resolve_backend,
                                   use_backend)

__version__ = "0.1.0"

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "InteractiveSession",
    "Session",
    "backend",
    "errors",
    "module_table",
    "override_backend",
    "reload_config",
    "resolve_backend",
    "use_backend",
]


def __getattr__(name):
    # Lazy: `import compat` (e.g. by the pytest plugin) does not import TensorFlow.
    if name in ("Session", "InteractiveSession"):
        from compat.runtime import session
        return getattr(session, name)
    if name == "errors":
        import tensorflow as tf
        return tf.errors
    raise AttributeError(f"module 'compat' has no attribute {name!r}")
