"""Errors of the TF1 surface."""

__all__ = ["RemovedAPIError"]


class RemovedAPIError(AttributeError):
    """A TF1 symbol that TensorFlow 2 removed and the shim does not cover.

    An ``AttributeError`` (so ``hasattr`` keeps working) whose message names the
    symbol and its TF2 replacement.
    """
