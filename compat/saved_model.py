"""Public import path for :mod:`compat.persistence.saved_model`.

``from compat.saved_model import export_tf2``: a native TF2 SavedModel of a TF1
session's signatures.
"""

from compat.persistence.saved_model import export_tf2

__all__ = ["export_tf2"]
