"""TF1 APIs that TensorFlow 2.21 (Keras 3) removed or broke, restored for ``compat.v1``.

``tf.layers`` and ``tf.nn.rnn_cell`` are tf-keras's TF1 implementations (the code
TF 1.15 shipped, kept by tf-keras), imported directly from tf-keras. Nothing
process-wide is switched: ``TF_USE_LEGACY_KERAS`` is not set and ``tf.keras``
stays Keras 3 for every other module. ``tf.contrib`` is :mod:`compat.tf1.contrib`.
"""

import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading

from compat.tf1.namespace import Namespace

__all__ = ["contrib", "keras", "layers", "repair_tf1_library_imports", "rnn_cell", "slim"]

_LAYERS = "tf_keras.api._v1.keras.__internal__.legacy.layers"
_RNN_CELL = "tf_keras.api._v1.keras.__internal__.legacy.rnn_cell"
_KERAS = "tf_keras.api._v1.keras"
# TF 2.21's tensorflow.python.layers.{normalization,pooling} lazy-load these names; tf-keras
# 2.21 ships the modules under tf_keras.src.legacy_tf_layers.
_TF_LAYERS_LAZY = ("normalization", "pooling")


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


def keras():
    """``tf.keras`` for TF1 code (compat.v1): tf-keras's TF1 API (Keras 2, what TF 1.x
    shipped as tf.keras), through the guard, so its layers and models build on TF1 graph
    tensors as in TF 1.x. TF 2.21's own ``tf.keras`` (Keras 3) rejects graph tensors;
    TensorFlow's ``tf.keras`` (for TF2 code) stays Keras 3."""
    module = _import(_KERAS, "tf.keras")
    _install_tf1_initializers()
    from compat.tf1 import keras_session as _keras_session

    # K.get_session() and the TF1 fit / evaluate / predict loops: the shim's Session
    _keras_session.install()
    return Namespace(module, "compat.v1.keras")


def rnn_cell():
    """``tf.nn.rnn_cell`` (compat.v1): TF1 RNN cells and wrappers."""
    module = _import(_RNN_CELL, "tf.nn.rnn_cell")
    _install_tf1_initializers()
    return Namespace(module, "compat.v1.nn.rnn_cell")


# Internal names TF1 libraries import (tf-slim 1.1: `ops.Tensor`, `control_flow_ops.cond`,
# `array_ops.stack`...) that TF 2.16+ moved to modules of their own, dropping the old
# name: (module, name, module now holding the same object).
_MOVED_INTERNALS = (
    ("tensorflow.python.framework.ops", "Tensor", "tensorflow.python.framework.tensor"),
    ("tensorflow.python.framework.ops", "IndexedSlices",
     "tensorflow.python.framework.indexed_slices"),
    ("tensorflow.python.ops.array_ops", "stack", "tensorflow.python.ops.array_ops_stack"),
    ("tensorflow.python.ops.array_ops", "unstack", "tensorflow.python.ops.array_ops_stack"),
    ("tensorflow.python.ops.control_flow_ops", "Assert",
     "tensorflow.python.ops.control_flow_assert"),
    ("tensorflow.python.ops.control_flow_ops", "cond", "tensorflow.python.ops.cond"),
    ("tensorflow.python.ops.control_flow_ops", "case",
     "tensorflow.python.ops.control_flow_case"),
    ("tensorflow.python.ops.control_flow_ops", "while_loop",
     "tensorflow.python.ops.while_loop"),
)


# Internal names TF 1.15 had that later releases renamed (same behaviour, new name):
# (module, TF 1.15 name, module holding the new name, new name). tflearn 0.5 imports
# `nest.is_sequence`.
_RENAMED_INTERNALS = (
    ("tensorflow.python.util.nest", "is_sequence", "tensorflow.python.util.nest",
     "is_nested"),
)


def _restore_moved_internals():
    """Gives TF's internal modules back the names listed in ``_MOVED_INTERNALS`` and
    ``_RENAMED_INTERNALS`` (the same objects, under the names they had in TF 1.15 or
    through TF 2.15) where they are missing; plus ``variable_scope.variable`` (TF1's
    ``tf.Variable`` factory, now VariableV1)."""
    for module_name, name, source in _MOVED_INTERNALS:
        module = importlib.import_module(module_name)
        if not hasattr(module, name):
            setattr(module, name, getattr(importlib.import_module(source), name))
    for module_name, name, source, new_name in _RENAMED_INTERNALS:
        module = importlib.import_module(module_name)
        if not hasattr(module, name):
            setattr(module, name, getattr(importlib.import_module(source), new_name))
    from tensorflow.python.ops import variable_scope
    from tensorflow.python.ops import variable_v1

    if not hasattr(variable_scope, "variable"):
        variable_scope.variable = variable_v1.VariableV1


def repair_tf1_library_imports():
    """Makes what TF1 libraries import from TensorFlow's internals importable again on
    TF 2.21 (needed by tf-slim 1.1; nothing is replaced, only missing names are added).

    The moved internal names of ``_MOVED_INTERNALS`` come back under their old names.
    ``tensorflow.python.layers.normalization`` / ``.pooling`` load lazily from
    ``tf_keras.legacy_tf_layers.*``, which tf-keras 2.21 ships as
    ``tf_keras.src.legacy_tf_layers.*`` (tf-slim's ``batch_norm`` and ``max_pool2d``
    failed with ModuleNotFoundError on first use): the shipped modules are registered
    under the names TF looks up (the same module objects, so the classes are tf-keras's
    own), only where those names do not import."""
    import sys

    with _install_lock:
        _restore_moved_internals()
        if _LegacyLayersAlias.installed():
            return
        if importlib.util.find_spec("tf_keras") is None:
            return  # pragma: no cover - tf-keras is an install requirement
        # first: the alias package's __path__ is tf-keras's src directory, where the
        # standard finder would load a second copy of each submodule under the alias
        sys.meta_path.insert(0, _LegacyLayersAlias())


class _LegacyLayersAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``tf_keras.legacy_tf_layers[.<name>]`` imports as tf-keras 2.21's
    ``tf_keras.src.legacy_tf_layers[.<name>]`` (the same module objects), on first
    import: TF's ``tensorflow.python.layers`` modules load their classes from there."""

    _OLD, _NEW = "tf_keras.legacy_tf_layers", "tf_keras.src.legacy_tf_layers"

    @classmethod
    def installed(cls):
        return any(isinstance(f, cls) for f in sys.meta_path)

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self._OLD and not fullname.startswith(self._OLD + "."):
            return None
        new = self._NEW + fullname[len(self._OLD):]
        try:
            if importlib.util.find_spec(new) is None:
                return None
        except ImportError:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, loader_state=new)

    def create_module(self, spec):
        module = importlib.import_module(spec.loader_state)
        spec.loader_state = module.__spec__  # importlib sets the alias spec on it
        return module

    def exec_module(self, module):
        # already executed under its own name: only its own spec is put back
        module.__spec__ = module.__spec__.loader_state


def _tf_slim_installed():
    import importlib.util

    return importlib.util.find_spec("tf_slim") is not None


def _tf_slim(module="tf_slim"):
    """tf-slim's `module` made importable on TF 2.21 and ready for the shim (TF's moved
    names restored, TF1 initializers, managed sessions). Only when tf-slim is installed
    (an installed tf-slim that fails to import raises its own error)."""
    from compat.tf1 import managed as _managed

    repair_tf1_library_imports()
    _install_tf1_initializers()
    _managed.install()
    importlib.import_module("tf_slim")
    return importlib.import_module(module)


def slim():
    """``tf.contrib.slim``: the tf-slim package (TF 1.15's ``tf.contrib.slim``, published
    on its own) through the graph-mode guard, or None when it is not installed."""
    if not _tf_slim_installed():
        return None
    # managed: slim.learning.train (a Supervisor), slim.evaluation's loops
    # (MonitoredSession) open the shim's sessions, on the backend resolved for the caller
    namespace = Namespace(_tf_slim(), "compat.v1.contrib.slim", managed=True)
    # TF 1.15's module path of the same code: tensorflow.contrib.slim.python.slim.<x>
    # (``...slim.data.data_decoder``, ``...slim.learning``) is tf-slim's tf_slim.<x>
    from compat.tf1 import contrib as contrib_lib

    namespace.__dict__["_compat_overrides"]["python"] = contrib_lib.ContribModule(
        "contrib.slim.python", {"slim": namespace})
    return namespace



class _SlimPart:
    """The rest of a ``tf.contrib`` namespace that TF 1.15 moved to tf-slim: the public
    functions and classes of tf-slim's `module` defined under `origin` (the module
    prefixes of TF1's contrib piece there), through the guard. TensorFlow names are
    not re-exported (``tf_slim.layers.array_ops`` is no TF1 API). `preferred`: see
    :class:`compat.tf1.contrib.ContribModule`."""

    def __init__(self, path, module, origin, preferred=False):
        self.path, self.module, self.origin = path, module, origin
        self.preferred = preferred
        self._namespace = None
        self._lock = threading.Lock()

    def available(self):
        return _tf_slim_installed()

    def _source(self):
        with self._lock:
            if self._namespace is None:
                self._namespace = Namespace(_tf_slim(self.module),
                                            f"compat.v1.contrib.{self.path}", managed=True)
            return self._namespace

    def _raw(self, name):
        raw = getattr(self._source().__dict__["_compat_module"], name, None)
        if name.startswith("_") or raw is None or isinstance(raw, type(importlib)):
            return None
        if not callable(raw) or not (getattr(raw, "__module__", None) or "").startswith(
                self.origin):
            return None
        return raw

    def lookup(self, name):
        if self._raw(name) is None:
            return None
        return getattr(self._source(), name)

    def names(self):
        module = self._source().__dict__["_compat_module"]
        return [n for n in dir(module) if self._raw(n) is not None]


def contrib():
    """``tf.contrib``: the covered pieces, each through the graph-mode guard; what TF 1.15
    moved to tf-slim (contrib.layers, .framework, .metrics, .losses) is served from it
    when it is installed."""
    from compat.tf1 import contrib as contrib_lib

    raw_cells = _import(_RNN_CELL, "tf.contrib.rnn")
    raw_layers = _import(_LAYERS, "tf.contrib.rnn")
    _install_tf1_initializers()
    parts = contrib_lib.namespace(raw_cells, raw_layers.Layer, raw_layers.Dense)
    slim_parts = {
        # contrib.layers: TF 1.15's objects when tf-slim is installed (so arg_scope
        # accepts tf.contrib.layers.fully_connected); compat's own versions otherwise
        "layers": _SlimPart("layers", "tf_slim.layers", ("tf_slim.layers",),
                            preferred=True),
        "framework": _SlimPart("framework", "tf_slim", ("tf_slim.ops",)),
        "metrics": _SlimPart("metrics", "tf_slim.metrics", ("tf_slim.metrics",)),
        "losses": _SlimPart("losses", "tf_slim.losses", ("tf_slim.losses",)),
    }
    wrapped = {}
    for name, module in parts.items():
        wrapped[name] = contrib_lib.ContribModule(
            f"contrib.{name}",
            {k: getattr(Namespace(module, f"compat.v1.contrib.{name}"), k)
             for k in dir(module)},
            fallback=slim_parts.get(name))
    # tensorflow.contrib.seq2seq.python.ops.<module>: TF 1.15's module paths of the same
    # names (built on first use)
    seq2seq = wrapped["seq2seq"]

    def seq2seq_private():
        from compat.tf1.contrib.seq2seq import common

        return Namespace(common, "compat.v1.contrib.seq2seq")

    seq2seq.__dict__["_lazy"]["python"] = lambda: contrib_lib.seq2seq_python(
        seq2seq, seq2seq_private)
    # tf-slim is imported (and TF's moved names restored) on first use of tf.contrib.slim
    # or of a name only tf-slim has
    return contrib_lib.ContribModule("contrib", wrapped, lazy={"slim": slim})


def estimator():
    """``tf.estimator``: compat's Estimator (TensorFlow 2.16 removed TF's)."""
    from compat.tf1 import estimator as estimator_lib

    return estimator_lib.namespace()
