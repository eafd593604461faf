"""TF1 APIs that TensorFlow 2.21 (Keras 3) removed or broke, restored for ``compat.v1``.

``tf.layers`` and ``tf.nn.rnn_cell`` are tf-keras's TF1 implementations (the code
TF 1.15 shipped, kept by tf-keras), imported directly from tf-keras. Nothing
process-wide is switched: ``TF_USE_LEGACY_KERAS`` is not set and ``tf.keras``
stays Keras 3 for every other module. ``tf.contrib`` is :mod:`compat.contrib`.
"""

import functools
import importlib
import threading

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


_install_lock = threading.Lock()
_installed = []


def _tf1_initializer_objects(objects):
    """tf-keras's name -> initializer table as TF1 had it (its own v1 branch)."""
    import tensorflow as tf
    from tf_keras.src.initializers import initializers_v1
    from tf_keras.src.utils import generic_utils

    v1 = {
        "Constant": tf.compat.v1.constant_initializer,
        "GlorotNormal": tf.compat.v1.glorot_normal_initializer,
        "GlorotUniform": tf.compat.v1.glorot_uniform_initializer,
        "Identity": tf.compat.v1.initializers.identity,
        "Ones": tf.compat.v1.ones_initializer,
        "Orthogonal": tf.compat.v1.orthogonal_initializer,
        "VarianceScaling": tf.compat.v1.variance_scaling_initializer,
        "Zeros": tf.compat.v1.zeros_initializer,
        "HeNormal": initializers_v1.HeNormal,
        "HeUniform": initializers_v1.HeUniform,
        "LecunNormal": initializers_v1.LecunNormal,
        "LecunUniform": initializers_v1.LecunUniform,
        "RandomNormal": initializers_v1.RandomNormal,
        "RandomUniform": initializers_v1.RandomUniform,
        "TruncatedNormal": initializers_v1.TruncatedNormal,
    }
    table = dict(objects)
    for key, value in v1.items():
        table[key] = value
        table[generic_utils.to_snake_case(key)] = value
    table.update(normal=table["random_normal"], uniform=table["random_uniform"],
                 one=table["ones"], zero=table["zeros"])
    return table


def _install_tf1_initializers():
    """While a TF1 graph is being built, tf-keras resolves initializer names
    ("glorot_uniform", the default of tf.layers and the RNN cells) to TF1's
    initializers, whose op seeds derive from the graph seed: ``tf.set_random_seed``
    makes them deterministic, as in TF 1.x. (With TF2 behaviour, tf-keras picks its
    TF2 initializers, which draw a fresh seed per call.) For TF2 code (eager, or a
    tf.function called eagerly) nothing changes."""
    with _install_lock:
        if _installed:
            return
        from tensorflow.python.eager import context
        from tensorflow.python.framework import func_graph
        from tensorflow.python.framework import ops
        from tf_keras.src import initializers as kinit

        original = kinit.get

        def building_tf1_graph():
            # init_scope lifts out of control-flow bodies (dynamic_rnn's while loop
            # builds its cell inside one) to where variables are created
            with ops.init_scope():
                return not context.executing_eagerly() and not isinstance(
                    ops.get_default_graph(), func_graph.FuncGraph)

        @functools.wraps(original)
        def get(identifier):
            if not building_tf1_graph():
                return original(identifier)
            kinit.populate_deserializable_objects()
            local = kinit.LOCAL
            saved = local.ALL_OBJECTS
            local.ALL_OBJECTS = _tf1_initializer_objects(saved)
            try:
                return original(identifier)
            finally:
                local.ALL_OBJECTS = saved

        kinit.get = get
        _installed.append(original)


def layers():
    """``tf.layers`` (compat.v1): TF1 layers with TF1 variable names and numerics."""
    module = _import(_LAYERS, "tf.layers")
    _install_tf1_initializers()
    return Namespace(module, "compat.v1.layers")


def rnn_cell():
    """``tf.nn.rnn_cell`` (compat.v1): TF1 RNN cells and wrappers."""
    module = _import(_RNN_CELL, "tf.nn.rnn_cell")
    _install_tf1_initializers()
    return Namespace(module, "compat.v1.nn.rnn_cell")


def contrib():
    """``tf.contrib``: the covered pieces, each through the graph-mode guard."""
    from compat import contrib as contrib_lib

    raw_cells = _import(_RNN_CELL, "tf.contrib.rnn")
    _install_tf1_initializers()
    parts = contrib_lib.namespace(raw_cells)
    wrapped = {}
    for name, module in parts.items():
        wrapped[name] = contrib_lib.ContribModule(
            f"contrib.{name}",
            {k: getattr(Namespace(module, f"compat.v1.contrib.{name}"), k)
             for k in dir(module)})
    return contrib_lib.ContribModule("contrib", wrapped)
