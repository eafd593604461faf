"""Import statements for ``compat.v1``'s nested namespaces.

TF1 code imported namespaces as modules: ``import tensorflow.contrib.slim as slim``,
``from tensorflow.contrib.slim.nets import resnet_v1``. The shim's namespaces are
attributes of :mod:`compat.v1` (built on first use), so this finder makes every
module-like attribute path under ``compat.v1`` importable as well:
``import compat.v1.contrib.slim as slim`` gives the same object as
``compat.v1.contrib.slim``. A removed ``tf.contrib`` piece raises ImportError with the
shim's message (it names the replacement).
"""

import importlib.abc
import importlib.machinery
import sys
import threading
import types

__all__ = ["install"]

_PREFIX = "compat.v1."
_lock = threading.Lock()


class _NamespaceFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``compat.v1.<path>`` by attribute access on :mod:`compat.v1`."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(_PREFIX):
            return None
        from compat.tf1.errors import RemovedAPIError

        obj = sys.modules["compat.v1"]
        for part in fullname[len(_PREFIX):].split("."):
            try:
                obj = getattr(obj, part)
            except RemovedAPIError as e:
                raise ImportError(str(e), name=fullname) from None
            except AttributeError:
                return None
        if not isinstance(obj, types.ModuleType):
            return None  # a function or class: TF1 could not import it as a module either
        spec = importlib.machinery.ModuleSpec(fullname, self, loader_state=obj,
                                              is_package=True)
        spec.submodule_search_locations = []  # its own namespaces import too
        return spec

    def create_module(self, spec):
        return spec.loader_state  # the namespace itself, not a copy

    def exec_module(self, module):
        pass  # the namespace is complete: it resolves its attributes on access


_FINDER = _NamespaceFinder()


def install():
    """Idempotent: appends the finder to ``sys.meta_path`` (after the standard ones,
    so real modules always win)."""
    with _lock:
        if _FINDER not in sys.meta_path:
            sys.meta_path.append(_FINDER)
