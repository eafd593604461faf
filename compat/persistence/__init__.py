"""Checkpoints and SavedModels that move freely between the runtimes.

* :mod:`~compat.persistence.checkpoint`: TF1's ``Saver`` with TF1's checks, crash-safe
  saves, and converters between name-based and object-based checkpoints.
* :mod:`~compat.persistence.saved_model`: native TF2 exports of TF1 signatures.

Public import paths: :mod:`compat.checkpoint`, :mod:`compat.saved_model`.
"""
