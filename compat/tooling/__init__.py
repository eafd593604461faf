"""Static tools for a migration: ``compat report`` and ``compat migrate``.

Both read source with :mod:`ast` and never import or run the user's code.

* :mod:`.report`: for each module under a path, the TF1 symbols it uses, whether each
  runs on the graph and eager backends, the backend configured for the module, and
  whether a ported implementation exists.
* :mod:`.migrate`: rewrites TensorFlow imports to ``import compat.v1 as tf`` and drops
  the process-wide ``disable_v2_behavior()``-style calls, idempotently.
* :mod:`.source`: reading a source tree (files, module names, TF1 symbols used).
"""

from compat.tooling.migrate import Migration, migrate
from compat.tooling.report import ModuleReport, format_report, report, support
from compat.tooling.source import iter_python_files, module_name

__all__ = ["ModuleReport", "Migration", "format_report", "iter_python_files", "migrate",
           "module_name", "report", "support"]
