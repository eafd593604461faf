"""Drop-in TF1 namespace: ``import compat.v1 as tf``.

Exposes TensorFlow's ``tf.compat.v1`` surface. Graph-building calls run in the
TF1 default graph when the caller executes eagerly (see :mod:`compat.tf1.guard`),
so TF1 programs that build at module top level work without switching the
process to graph mode. ``Session`` and ``InteractiveSession`` are the shim's
(:mod:`compat.runtime.session`), running on the backend chosen by
:func:`compat.resolve_backend`. Process-wide switches (``disable_v2_behavior``,
``disable_eager_execution``, ...) are no-ops: the shim recreates TF1 behaviour
inside the graphs it manages instead.
"""

# Module-level names are what `tf.<name>` resolves to first, so every import here is
# private: `tf.logging` must be TensorFlow's (tf.logging.set_verbosity), not the stdlib's.
import logging as _logging
import sys as _sys

import tensorflow as _tf

from compat.tf1 import dispatch as _dispatch
from compat.tf1 import guard as _guard
from compat.tf1 import imports as _imports
from compat.tf1 import managed as _managed
from compat.tf1 import restored as _legacy
from compat.persistence import checkpoint as _checkpoint
from compat.tf1 import testcase as _testcase
from compat.tf1 import variables as _variables
from compat.tf1.namespace import Lazy as _Lazy
from compat.tf1.namespace import Namespace as _Namespace
from compat.runtime.session import InteractiveSession, Session

_log = _logging.getLogger("compat")
_warned = set()


def _global_switch(name):
    def switch(*args, **kwargs):
        if name not in _warned:
            _warned.add(name)
            _log.info(
                "compat.v1.%s() ignored: the shim keeps TensorFlow's process-wide state "
                "unchanged and gives TF1 code TF1 behaviour in its own graphs.", name)

    switch.__name__ = name
    switch.__doc__ = f"No-op in the shim (TF's `{name}` changes process-wide state)."
    return switch


_SWITCHES = (
    "disable_v2_behavior", "enable_v2_behavior", "disable_eager_execution",
    "enable_eager_execution", "disable_control_flow_v2", "enable_control_flow_v2",
    "disable_tensor_equality", "enable_tensor_equality", "disable_v2_tensorshape",
    "enable_v2_tensorshape",
)

_overrides = {name: _global_switch(name) for name in _SWITCHES}
_overrides.update(Session=Session, InteractiveSession=InteractiveSession)
# TF1's default variables (ref variables) in TF1 graphs, and TF1's switch for them.
_overrides.update((name, getattr(_variables, name)) for name in (
    "enable_resource_variables", "disable_resource_variables",
    "resource_variables_enabled"))

_guard.install_operator_guards()
_dispatch.install()
# Internal names TF1 libraries import that TF 2.21 moved or renamed (only missing names
# are added; nothing of TF's is replaced).
_legacy.repair_tf1_library_imports()
_variables.install()

# Removed or broken by Keras 3 in TF 2.21: TF1 implementations from tf-keras (loaded on
# first use, without switching tf.keras), and the covered parts of tf.contrib.
_overrides["layers"] = _Lazy(_legacy.layers)
_overrides["keras"] = _Lazy(_legacy.keras)
_overrides["contrib"] = _Lazy(_legacy.contrib)
_overrides["estimator"] = _Lazy(_legacy.estimator)
_overrides["nn"] = _Namespace(_tf.compat.v1.nn, "compat.v1.nn",
                              {"rnn_cell": _Lazy(_legacy.rnn_cell)})
# Saver: TF1's shape check, clear corruption errors, crash-safe re-saves. Managed
# sessions (MonitoredTrainingSession, Supervisor, ...) open the shim's sessions.
_MANAGED = ("MonitoredTrainingSession", "MonitoredSession", "SingularMonitoredSession",
            "SessionManager", "Supervisor", "ChiefSessionCreator", "WorkerSessionCreator")
_train_overrides = {"Saver": _guard.wrap_class(_checkpoint.Saver)}
_train_overrides.update(
    (name, _Lazy(lambda name=name: _managed.managed(getattr(_tf.compat.v1.train, name))))
    for name in _MANAGED)
_overrides["train"] = _Namespace(_tf.compat.v1.train, "compat.v1.train", _train_overrides)
_overrides["test"] = _Namespace(_tf.compat.v1.test, "compat.v1.test",
                               {"TestCase": _guard.wrap_class(_testcase.TestCase)})
_overrides["compat"] = _Namespace(_tf.compat, "compat.v1.compat",
                                 {"v1": _sys.modules[__name__], "v2": _tf.compat.v2})
_namespace = _Namespace(_tf.compat.v1, "compat.v1", _overrides)

# `import compat.v1.contrib.slim as slim`, `from compat.v1.contrib.slim.nets import ...`:
# nested namespaces import as modules (TF1 code imported tensorflow.contrib.* that way).
__path__ = []
_imports.install()


# The module attributes tf.compat.v1 has (libraries gate code on `tf.__version__`).
_DUNDERS = ("__version__", "__git_version__", "__compiler_version__", "__cxx11_abi_flag__",
            "__cxx_version__", "__monolithic_build__", "__internal__", "__all__")
globals().update((name, getattr(_tf.compat.v1, name)) for name in _DUNDERS
                 if hasattr(_tf.compat.v1, name))


def __getattr__(name):
    return getattr(_namespace, name)


def __dir__():
    return dir(_namespace)
