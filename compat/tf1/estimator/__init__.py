"""``tf.estimator`` for TF1 code: the Estimator loop, written after TF 1.15's behaviour.

TensorFlow 2.16 removed ``tf.estimator`` and tensorflow-estimator 2.15 no longer imports
on TF 2.21, so TF1 code built on ``Estimator(model_fn)`` stopped at its first line. This
module is compat's own Estimator: ``model_fn`` / ``input_fn`` called as TF 1.15 called them,
``train`` (checkpoints and summaries in ``model_dir``, resumed from its latest checkpoint,
``steps`` / ``max_steps``, hooks and saving listeners), ``evaluate`` (streaming metrics over
the input or ``steps`` batches, written to ``model_dir/eval``), ``predict`` (single
examples or batches), ``export_saved_model`` (a TF1 SavedModel that plain TF2
``tf.saved_model.load`` serves), ``train_and_evaluate`` on one machine, ``RunConfig``,
``EstimatorSpec``, exporters, ``export`` receivers and ``inputs.numpy_input_fn``.

``tf.contrib.tpu.TPUEstimator`` code (BERT's, say) runs with ``use_tpu=False`` as TF 1.x
ran it on a CPU. Every session it opens is the shim's (on the backend chosen for the
caller's module), through TF's own ``MonitoredTrainingSession`` and hooks. Not covered:
the canned estimators (``DNNClassifier``, ``LinearRegressor``, ...), distribution
strategies and multi-worker ``TF_CONFIG`` clusters, TPUs (``use_tpu=True``),
``model_to_estimator``: each raises an error naming the way out.

Modules: :mod:`.run_config`, :mod:`.spec` (``ModeKeys``, ``EstimatorSpec``),
:mod:`.estimator` (the loop), :mod:`.export` (receivers), :mod:`.training`
(``train_and_evaluate``, exporters), :mod:`.inputs`, :mod:`.early_stopping`, :mod:`.tpu`;
this package assembles ``tf.estimator`` from them (:func:`namespace`).
"""

import types

import tensorflow as tf
from tensorflow.python.saved_model.model_utils import export_output as _export_output

from compat.tf1.estimator.early_stopping import (make_early_stopping_hook, read_eval_metrics,
                                                 stop_if_higher_hook, stop_if_lower_hook,
                                                 stop_if_no_decrease_hook, stop_if_no_increase_hook)
from compat.tf1.estimator.estimator import Estimator, WarmStartSettings
from compat.tf1.estimator.export import (ServingInputReceiver,
                                         build_parsing_serving_input_receiver_fn,
                                         build_raw_serving_input_receiver_fn)
from compat.tf1.estimator.inputs import numpy_input_fn, pandas_input_fn
from compat.tf1.estimator.run_config import RunConfig
from compat.tf1.estimator.spec import EstimatorSpec, ModeKeys
from compat.tf1.estimator.training import (BestExporter, EvalSpec, Exporter, FinalExporter,
                                           LatestExporter, TrainSpec, train_and_evaluate)
from compat.tf1.estimator.tpu import (InputPipelineConfig, TPUConfig, TPUEstimator,
                                      TPUEstimatorSpec, TPURunConfig)

__all__ = [
    "BestExporter", "Estimator", "EstimatorSpec", "EvalSpec", "Exporter", "FinalExporter",
    "InputPipelineConfig", "LatestExporter", "ModeKeys", "RunConfig", "TPUConfig",
    "TPUEstimator", "TPUEstimatorSpec", "TPURunConfig", "TrainSpec", "WarmStartSettings",
    "namespace", "numpy_input_fn", "pandas_input_fn", "read_eval_metrics", "removed",
    "train_and_evaluate",
]

# --- what is not covered ----------------------------------------------------------------
_NOT_COVERED = {
    "canned": "the canned estimators (DNNClassifier, LinearRegressor, BoostedTrees...)",
}


_HOOKS = ("SessionRunHook", "SessionRunArgs", "SessionRunContext", "SessionRunValues",
          "CheckpointSaverHook", "CheckpointSaverListener", "FeedFnHook", "FinalOpsHook",
          "GlobalStepWaiterHook", "LoggingTensorHook", "NanLossDuringTrainingError",
          "NanTensorHook", "ProfilerHook", "SecondOrStepTimer", "StepCounterHook",
          "StopAtStepHook", "SummarySaverHook")


_CANNED = ("BaselineClassifier", "BaselineEstimator", "BaselineRegressor",
           "BoostedTreesClassifier", "BoostedTreesEstimator", "BoostedTreesRegressor",
           "DNNClassifier", "DNNEstimator", "DNNRegressor", "DNNLinearCombinedClassifier",
           "DNNLinearCombinedEstimator", "DNNLinearCombinedRegressor", "LinearClassifier",
           "LinearEstimator", "LinearRegressor", "BinaryClassHead", "MultiClassHead",
           "MultiLabelHead", "RegressionHead", "PoissonRegressionHead", "LogisticRegressionHead",
           "MultiHead", "add_metrics", "classifier_parse_example_spec",
           "regressor_parse_example_spec")

_v1 = tf.compat.v1


def removed(name):
    """The error for a tf.estimator name compat does not cover."""
    from compat.tf1.errors import RemovedAPIError

    what = _NOT_COVERED.get(name) or (
        f"{name}, one of the canned estimators and heads," if name in _CANNED
        else f"tf.estimator.{name}")
    return RemovedAPIError(
        f"tf.estimator.{name}: {what} is not covered by compat (TensorFlow 2.16 removed "
        "tf.estimator; compat provides Estimator with model_fn, RunConfig, EstimatorSpec, "
        "train_and_evaluate, exporters and export receivers). Port it to Keras "
        "(tf.keras.Model with fit / evaluate / predict).")


def namespace():
    """``tf.estimator`` as compat serves it."""
    from compat.tf1.guard import guard_callable
    from compat.tf1.namespace import Namespace

    export = types.ModuleType("compat.v1.estimator.export")
    export.ServingInputReceiver = ServingInputReceiver
    # functions through the guard: called at a script's top level, they (and the functions
    # they return, e.g. an input_fn) build in TF1's default graph, as TF 1.x's did
    export.build_raw_serving_input_receiver_fn = guard_callable(
        build_raw_serving_input_receiver_fn)
    export.build_parsing_serving_input_receiver_fn = guard_callable(
        build_parsing_serving_input_receiver_fn)
    export.ExportOutput = _export_output.ExportOutput
    export.PredictOutput = _export_output.PredictOutput
    export.ClassificationOutput = _export_output.ClassificationOutput
    export.RegressionOutput = _export_output.RegressionOutput
    inputs = types.ModuleType("compat.v1.estimator.inputs")
    inputs.numpy_input_fn = guard_callable(numpy_input_fn)
    inputs.pandas_input_fn = guard_callable(pandas_input_fn)
    # TF 1.15 served TPUEstimator under tf.estimator.tpu as well as tf.contrib.tpu
    tpu = types.ModuleType("compat.v1.estimator.tpu")
    tpu.TPUEstimator, tpu.TPUEstimatorSpec = TPUEstimator, TPUEstimatorSpec
    tpu.RunConfig, tpu.TPUConfig = TPURunConfig, TPUConfig
    tpu.InputPipelineConfig = InputPipelineConfig
    experimental = types.ModuleType("compat.v1.estimator.experimental")
    for fn in (make_early_stopping_hook, stop_if_no_decrease_hook, stop_if_no_increase_hook,
               stop_if_higher_hook, stop_if_lower_hook):
        setattr(experimental, fn.__name__, guard_callable(fn))
    module = types.ModuleType("compat.v1.estimator", __doc__)
    members = dict(
        Estimator=Estimator, EstimatorSpec=EstimatorSpec, ModeKeys=ModeKeys,
        RunConfig=RunConfig, TrainSpec=TrainSpec, EvalSpec=EvalSpec,
        train_and_evaluate=train_and_evaluate, WarmStartSettings=WarmStartSettings,
        Exporter=Exporter, FinalExporter=FinalExporter, LatestExporter=LatestExporter,
        BestExporter=BestExporter,
        VocabInfo=_v1.train.VocabInfo, export=export, inputs=inputs, tpu=tpu,
        experimental=experimental)
    # TF 1.x's tf.estimator also named tf.train's hooks
    members.update((name, getattr(_v1.train, name)) for name in _HOOKS)
    for key, value in members.items():
        setattr(module, key, value)

    class _Estimator(Namespace):
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            if name in _CANNED or name in _NOT_COVERED:
                raise removed(name)
            return super().__getattr__(name)

    return _Estimator(module, "compat.v1.estimator", members)
