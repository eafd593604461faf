"""Parity testing: prove that the graph and eager backends compute the same numbers.

* :func:`assert_backends_agree` runs one TF1 graph on several backends in
  lockstep (same initial values), compares outputs, gradients and variables at
  every training step, and localizes the first op that differs.
* :mod:`compat.testing.strategies`: hypothesis strategies for feeds derived
  from a graph's placeholders and for random TF1 graphs (differential fuzzing).
* The pytest plugin (``--compat-backend=graph|eager|both``, fixtures
  ``compat_backend`` / ``backends_agree``, marker ``compat_difference``) is
  registered automatically when the package is installed.
"""

from compat.testing._parity import (DEFAULT_TOLERANCE, EXACT, BackendDivergence, ParityReport,
                                    Spec, Tolerance, assert_backends_agree, compare_values)

__all__ = [
    "BackendDivergence",
    "DEFAULT_TOLERANCE",
    "EXACT",
    "ParityReport",
    "Spec",
    "Tolerance",
    "assert_backends_agree",
    "compare_values",
]
