"""Public import path for :mod:`compat.persistence.checkpoint`.

``from compat import checkpoint``: TF1's ``Saver`` with TF1's checks and crash-safe
saves, and converters between name-based (Saver) and object-based (TF2) checkpoints.
"""

from compat.persistence.checkpoint import (Saver, checkpoint_files, name_to_object,
                                           object_to_name, read_checkpoint,
                                           session_checkpoint, write_name_based)

__all__ = ["Saver", "checkpoint_files", "name_to_object", "object_to_name",
           "read_checkpoint", "session_checkpoint", "write_name_based"]
