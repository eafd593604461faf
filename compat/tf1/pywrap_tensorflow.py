"""``tensorflow.python.pywrap_tensorflow`` as TF1 code saw it.

TF 1.15's module exported ``EventsWriter`` (stable-baselines' TensorBoard logger writes
its events with it) and ``NewCheckpointReader``; TF 2.x moved them to
``tensorflow.python.client._pywrap_events_writer`` and
``tensorflow.python.training.py_checkpoint_reader``. ``compat migrate`` rewrites the
import to this module (:data:`compat.tooling.migrate.INTERNAL_MODULES`); every other
name is TensorFlow's own module's.
"""

from tensorflow.python import pywrap_tensorflow as _tf_pywrap
from tensorflow.python.client._pywrap_events_writer import EventsWriter
from tensorflow.python.training.py_checkpoint_reader import NewCheckpointReader

__all__ = ["EventsWriter", "NewCheckpointReader"]


def __getattr__(name):
    return getattr(_tf_pywrap, name)
