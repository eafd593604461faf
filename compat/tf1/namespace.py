"""Namespace proxies that expose TensorFlow's TF1 API through the graph-mode guard."""

import importlib
import threading
import types

from compat.tf1 import guard as _guard

__all__ = ["Lazy", "Namespace", "wrap_attribute"]


class Lazy:
    """An override computed on first access (e.g. one that imports tf-keras)."""

    def __init__(self, factory):
        self.factory = factory

# Symbols whose raw TF implementation must not be run inside the guard.
_UNGUARDED = frozenset({
    "get_default_graph", "reset_default_graph", "get_default_session", "as_dtype",
    "dimension_value", "dimension_at_index", "executing_eagerly_outside_functions",
    "clear_session",  # tf.keras.backend's: resets the default graph (no graph entered)
})


_FLAG_MODULES = ("tensorflow.python.platform.flags", "absl.flags")


def wrap_attribute(name, value, qualname, managed=False):
    """The shim's view of one attribute of a TF namespace (`managed`: functions also
    open TF's managed sessions as the shim's, see :mod:`compat.tf1.managed`)."""
    if isinstance(value, types.ModuleType):
        module_name = getattr(value, "__name__", "") or ""
        if module_name.startswith(("tensorflow", "tf_slim", "tf_keras")) and \
                not module_name.startswith(("tensorflow.keras", "keras")):
            return Namespace(value, f"{qualname}.{name}", managed=managed)
        return value
    if isinstance(value, type):
        return _guard.wrap_class(value)
    if name in _UNGUARDED:
        return value
    if (type(value).__module__ or "").startswith(_FLAG_MODULES):
        # tf.app.flags.FLAGS: a callable object whose attributes are the flags (reading
        # one before parsing parses sys.argv, so it is passed through untouched)
        return value
    if callable(value) and (
            isinstance(value, (types.FunctionType, types.BuiltinFunctionType))
            or (type(value).__module__ or "").startswith(("tensorflow", "tf_slim"))):
        guarded = _guard.guard_callable(value, signature=True)
        if managed:
            from compat.tf1 import managed as _managed
            return _managed.in_shim_sessions(guarded)
        return guarded
    return value


def _subpackage(module, name):
    """A tf-slim subpackage its ``__init__`` does not import (``slim.nets``: TF1's
    ``tf.contrib.slim.nets`` was an attribute), or None."""
    if not module.__name__.startswith("tf_slim") or not hasattr(module, "__path__"):
        return None
    try:
        return importlib.import_module(f"{module.__name__}.{name}")
    except ModuleNotFoundError as e:
        if e.name != f"{module.__name__}.{name}":
            raise  # the subpackage exists but one of its imports is missing
        return None


class Namespace(types.ModuleType):
    """A TF1 namespace (``tf.train``, ``tf.nn``...) seen through the shim."""

    def __init__(self, module, qualname, overrides=None, managed=False):
        super().__init__(qualname, getattr(module, "__doc__", None))
        self.__dict__["_compat_managed"] = managed
        self.__dict__["_compat_module"] = module
        self.__dict__["_compat_overrides"] = dict(overrides or {})
        self.__dict__["_compat_cache"] = {}
        self.__dict__["_compat_lock"] = threading.Lock()

    def __getattr__(self, name):
        cache = self.__dict__["_compat_cache"]
        try:
            return cache[name]
        except KeyError:
            pass
        overrides = self.__dict__["_compat_overrides"]
        if name in overrides:
            value = overrides[name]
            if isinstance(value, Lazy):
                value = value.factory()
        else:
            if name.startswith("__"):
                raise AttributeError(name)
            module = self.__dict__["_compat_module"]
            try:
                raw = getattr(module, name)
            except AttributeError as e:
                if type(e) is not AttributeError:  # a specific error (e.g. RemovedAPIError)
                    raise
                raw = _subpackage(module, name)
                if raw is None:
                    raise AttributeError(
                        f"module '{self.__name__}' has no attribute '{name}' (it is not "
                        f"part of TensorFlow's {module.__name__.split('._api.')[-1]} API "
                        "either)") from None
            value = wrap_attribute(name, raw, self.__name__, self.__dict__["_compat_managed"])
        with self.__dict__["_compat_lock"]:
            cache[name] = value
        return value

    def __dir__(self):
        names = set(dir(self.__dict__["_compat_module"]))
        names.update(self.__dict__["_compat_overrides"])
        return sorted(n for n in names if not n.startswith("_"))

    def __repr__(self):
        return f"<compat namespace {self.__name__!r}>"
