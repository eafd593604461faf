"""TF1 APIs that TensorFlow 2.21 (Keras 3) removed or broke, restored for ``compat.v1``.

``tf.layers`` and ``tf.nn.rnn_cell`` are tf-keras's TF1 implementations (the code
TF 1.15 shipped, kept by tf-keras), imported directly from tf-keras. Nothing
process-wide is switched: ``TF_USE_LEGACY_KERAS`` is not set and ``tf.keras``
stays Keras 3 for every other module. ``tf.contrib`` is :mod:`compat.contrib`.
"""

import importlib

from compat._namespace import Namespace

__all__ = ["contrib", "layers", "rnn_cell"]

_LAYERS = "tf_keras.api._v1.keras.__internal__.legacy.layers"
_RNN_CELL = "tf_keras.api._v1.keras.__internal__.legacy.rnn_cell"


def _import(module, what):
    try:
        return importlib.import_module(module)
    except ImportError as e:  # pragma: no cover - tf-keras is an install requirement
        raise ImportError(
            f"{what} needs the tf-keras package (TF1 implementations of tf.layers and "
            "the RNN cells): pip install 'tf-keras>=2.21,<2.22'") from e


def layers():
    """``tf.layers`` (compat.v1): TF1 layers with TF1 variable names and numerics."""
    return Namespace(_import(_LAYERS, "tf.layers"), "compat.v1.layers")


def rnn_cell():
    """``tf.nn.rnn_cell`` (compat.v1): TF1 RNN cells and wrappers."""
    return Namespace(_import(_RNN_CELL, "tf.nn.rnn_cell"), "compat.v1.nn.rnn_cell")


def contrib():
    """``tf.contrib``: the covered pieces, each through the graph-mode guard."""
    from compat import contrib as contrib_lib

    raw_cells = _import(_RNN_CELL, "tf.contrib.rnn")
    parts = contrib_lib.namespace(raw_cells)
    wrapped = {}
    for name, module in parts.items():
        wrapped[name] = contrib_lib.ContribModule(
            f"contrib.{name}",
            {k: getattr(Namespace(module, f"compat.v1.contrib.{name}"), k)
             for k in dir(module)})
    return contrib_lib.ContribModule("contrib", wrapped)
