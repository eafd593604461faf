"""Runtimes, one package each with the same module names (``graph``, ``eager``).

Each package exports ``NAME`` and ``Runner`` (defined in its ``runner`` module). A
Runner executes one Session's graph: ``run(fetches, feed_dict, options,
run_metadata)``, ``make_callable``, ``list_devices``, ``close``.
"""

import importlib

from compat.runtime.config import BACKENDS, validate_backend

__all__ = ["BACKENDS", "get_backend"]


def get_backend(name):
    """The backend module for `name` (``'graph'`` or ``'eager'``)."""
    name = validate_backend(name)
    return importlib.import_module(f"compat.runtime.backends.{name}")
