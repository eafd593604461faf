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
"""

import collections
import copy
import inspect
import json
import logging
import os
import shutil
import tempfile
import threading
import time
import types

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2
from tensorflow.python.framework import ops
from tensorflow.python.saved_model import tag_constants
from tensorflow.python.saved_model.model_utils import export_output as _export_output
from tensorflow.python.saved_model.model_utils import export_utils as _export_utils

from compat.tf1 import graphs as _tf1_graphs

__all__ = [
    "BestExporter", "Estimator", "EstimatorSpec", "EvalSpec", "Exporter", "FinalExporter",
    "InputPipelineConfig", "LatestExporter", "ModeKeys", "RunConfig", "TPUConfig",
    "TPUEstimator", "TPUEstimatorSpec", "TPURunConfig", "TrainSpec", "WarmStartSettings",
    "train_and_evaluate",
]

_log = logging.getLogger("compat.estimator")
_v1 = tf.compat.v1


def _shim():
    """The TF1 objects the Estimator opens, as ``compat.v1`` serves them: its sessions
    (managed ones included) are the shim's, on the backend chosen for the caller."""
    from compat.persistence.checkpoint import Saver
    from compat.runtime.session import Session
    from compat.tf1.managed import managed

    train = types.SimpleNamespace(Saver=Saver, **{
        name: managed(getattr(_v1.train, name))
        for name in ("ChiefSessionCreator", "MonitoredSession", "MonitoredTrainingSession")})
    return types.SimpleNamespace(Session=Session, train=train, saved_model=_v1.saved_model)


class ModeKeys:
    """The three modes ``model_fn`` is called in (TF 1.x's strings)."""

    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"


_MODES = (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT)
_LOSS_METRIC = "loss"


# --- RunConfig ----------------------------------------------------------------------

_RUN_CONFIG_FIELDS = (
    "model_dir", "tf_random_seed", "save_summary_steps", "save_checkpoints_steps",
    "save_checkpoints_secs", "session_config", "keep_checkpoint_max",
    "keep_checkpoint_every_n_hours", "log_step_count_steps", "train_distribute",
    "device_fn", "protocol", "eval_distribute", "experimental_distribute",
    "experimental_max_worker_delay_secs", "session_creation_timeout_secs",
    "checkpoint_save_graph_def")
_UNSET = object()


class RunConfig:
    """Where and how an Estimator runs (TF 1.15's ``tf.estimator.RunConfig`` for one
    machine). Checkpoints every 600 s by default; ``save_checkpoints_steps`` and
    ``save_checkpoints_secs`` exclude each other. Distribution strategies and a
    ``TF_CONFIG`` naming a cluster raise ``ValueError``."""

    def __init__(self, model_dir=None, tf_random_seed=None, save_summary_steps=100,
                 save_checkpoints_steps=_UNSET, save_checkpoints_secs=_UNSET,
                 session_config=None, keep_checkpoint_max=5,
                 keep_checkpoint_every_n_hours=10000, log_step_count_steps=100,
                 train_distribute=None, device_fn=None, protocol=None,
                 eval_distribute=None, experimental_distribute=None,
                 experimental_max_worker_delay_secs=None,
                 session_creation_timeout_secs=7200, checkpoint_save_graph_def=True):
        steps = None if save_checkpoints_steps is _UNSET else save_checkpoints_steps
        secs = None if save_checkpoints_secs is _UNSET else save_checkpoints_secs
        if steps is not None and secs is not None:
            raise ValueError("save_checkpoints_steps and save_checkpoints_secs cannot "
                             "both be set.")
        if steps is None and secs is None and save_checkpoints_steps is _UNSET \
                and save_checkpoints_secs is _UNSET:
            secs = 600
        for name, value in (("train_distribute", train_distribute),
                            ("eval_distribute", eval_distribute),
                            ("experimental_distribute", experimental_distribute)):
            if value is not None:
                raise ValueError(
                    f"RunConfig({name}=...): distribution strategies in Estimators are not "
                    "covered by compat (TensorFlow 2.16 removed tf.estimator); port the "
                    "model to tf.distribute with Keras or a custom loop.")
        if protocol is not None:
            raise ValueError("RunConfig(protocol=...) is for distributed training, which "
                             "compat's Estimator does not cover.")
        _check_tf_config()
        if model_dir is not None:
            model_dir = os.fspath(model_dir)
        for name, value in (("save_summary_steps", save_summary_steps),
                            ("keep_checkpoint_max", keep_checkpoint_max),
                            ("log_step_count_steps", log_step_count_steps),
                            ("save_checkpoints_steps", steps),
                            ("save_checkpoints_secs", secs)):
            if value is not None and (not isinstance(value, (int, np.integer))
                                      or isinstance(value, bool) or value < 0):
                raise ValueError(f"RunConfig({name}=...) must be a non-negative int or "
                                 f"None, got {value!r}.")
        self._values = dict(
            model_dir=model_dir, tf_random_seed=tf_random_seed,
            save_summary_steps=save_summary_steps, save_checkpoints_steps=steps,
            save_checkpoints_secs=secs, session_config=session_config,
            keep_checkpoint_max=keep_checkpoint_max,
            keep_checkpoint_every_n_hours=keep_checkpoint_every_n_hours,
            log_step_count_steps=log_step_count_steps, train_distribute=None,
            device_fn=device_fn, protocol=None, eval_distribute=None,
            experimental_distribute=None,
            experimental_max_worker_delay_secs=experimental_max_worker_delay_secs,
            session_creation_timeout_secs=session_creation_timeout_secs,
            checkpoint_save_graph_def=checkpoint_save_graph_def)

    def __getattr__(self, name):
        values = self.__dict__.get("_values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(f"'RunConfig' object has no attribute '{name}'")

    # one machine: TF 1.15's single-process values
    is_chief = True
    master = ""
    evaluation_master = ""
    num_ps_replicas = 0
    num_worker_replicas = 1
    task_type = "worker"
    task_id = 0
    global_id_in_cluster = 0
    cluster_spec = None
    service = None

    def replace(self, **kwargs):
        """A copy with the given fields changed (``ValueError`` naming an unknown one)."""
        unknown = sorted(set(kwargs) - set(_RUN_CONFIG_FIELDS))
        if unknown:
            raise ValueError(f"Replacing {unknown} is not supported. Allowed properties: "
                             f"{sorted(_RUN_CONFIG_FIELDS)}.")
        values = dict(self._values)
        values.update(kwargs)
        if "save_checkpoints_steps" in kwargs and "save_checkpoints_secs" not in kwargs \
                and kwargs["save_checkpoints_steps"] is not None:
            values["save_checkpoints_secs"] = None
        if "save_checkpoints_secs" in kwargs and "save_checkpoints_steps" not in kwargs \
                and kwargs["save_checkpoints_secs"] is not None:
            values["save_checkpoints_steps"] = None
        return RunConfig(**values)

    def __repr__(self):
        return f"RunConfig({self._values!r})"


def _check_tf_config():
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return
    try:
        cluster = json.loads(raw).get("cluster") or {}
    except (ValueError, AttributeError) as e:
        raise ValueError(f"TF_CONFIG is not a JSON object: {raw!r}") from e
    if sum(len(tasks) for tasks in cluster.values()) > 1:
        raise ValueError(
            "TF_CONFIG names a cluster: multi-worker Estimator training is not covered by "
            "compat (TensorFlow 2.16 removed tf.estimator); unset TF_CONFIG to train on "
            "this machine, or port the model to tf.distribute.")


# --- EstimatorSpec ------------------------------------------------------------------

_SPEC_FIELDS = ("mode", "predictions", "loss", "train_op", "eval_metric_ops",
                "export_outputs", "training_chief_hooks", "training_hooks", "scaffold",
                "evaluation_hooks", "prediction_hooks")


class EstimatorSpec(collections.namedtuple("EstimatorSpec", _SPEC_FIELDS)):
    """What ``model_fn`` returns, validated as TF 1.15 validated it: TRAIN needs ``loss``
    and ``train_op``, EVAL ``loss``, PREDICT ``predictions``; the loss is a scalar; every
    tensor belongs to the default graph; metric values are ``(value, update_op)``."""

    def __new__(cls, mode, predictions=None, loss=None, train_op=None,
                eval_metric_ops=None, export_outputs=None, training_chief_hooks=None,
                training_hooks=None, scaffold=None, evaluation_hooks=None,
                prediction_hooks=None):
        if mode not in _MODES:
            raise ValueError(f"mode={mode!r} unrecognized; one of {list(_MODES)}.")
        graph = ops.get_default_graph()
        if loss is None and mode in (ModeKeys.TRAIN, ModeKeys.EVAL):
            raise ValueError("Missing loss.")
        if loss is not None:
            loss = _in_graph(loss, graph, "loss")
            if loss.shape.ndims not in (None, 0) and loss.shape.num_elements() != 1:
                raise ValueError(f"Loss must be scalar, given: {loss}")
            if loss.shape.ndims not in (None, 0):
                loss = tf.reshape(loss, [])
        if train_op is None and mode == ModeKeys.TRAIN:
            raise ValueError("Missing train_op.")
        if train_op is not None:
            train_op = _in_graph(train_op, graph, "train_op")
        if predictions is None and mode == ModeKeys.PREDICT:
            raise ValueError("Missing predictions.")
        if predictions is not None:
            if isinstance(predictions, dict):
                predictions = {k: _in_graph(v, graph, f"predictions[{k!r}]")
                               for k, v in predictions.items()}
            else:
                predictions = _in_graph(predictions, graph, "predictions")
        metrics = {}
        for name, pair in (eval_metric_ops or {}).items():
            if isinstance(pair, (tuple, list)) and len(pair) == 2:
                metrics[name] = (_in_graph(pair[0], graph, f"eval_metric_ops[{name!r}]"),
                                 _in_graph(pair[1], graph, f"eval_metric_ops[{name!r}]"))
            else:
                raise TypeError(f"Values of eval_metric_ops must be (metric_value, "
                                f"update_op) tuples, given: {pair!r} for key: {name}")
        if export_outputs is not None:
            if not isinstance(export_outputs, dict):
                raise TypeError(f"export_outputs must be dict, given: {export_outputs!r}")
            for key, value in export_outputs.items():
                if not isinstance(value, _export_output.ExportOutput):
                    raise TypeError(f"Values in export_outputs must be ExportOutput "
                                    f"objects, given: {value!r} for key: {key}")
        hooks = {}
        for field, value in (("training_chief_hooks", training_chief_hooks),
                             ("training_hooks", training_hooks),
                             ("evaluation_hooks", evaluation_hooks),
                             ("prediction_hooks", prediction_hooks)):
            value = tuple(value or ())
            for hook in value:
                if not isinstance(hook, _v1.train.SessionRunHook):
                    raise TypeError(f"All hooks must be SessionRunHook instances, given: "
                                    f"{hook!r}")
            hooks[field] = value
        if scaffold is not None and not isinstance(scaffold, _v1.train.Scaffold):
            raise TypeError(f"scaffold must be tf.train.Scaffold. Given: {scaffold!r}")
        return super().__new__(cls, mode, predictions, loss, train_op, metrics,
                               export_outputs, hooks["training_chief_hooks"],
                               hooks["training_hooks"], scaffold or _v1.train.Scaffold(),
                               hooks["evaluation_hooks"], hooks["prediction_hooks"])


def _in_graph(value, graph, what):
    if not isinstance(value, (tf.Tensor, tf.Operation)):
        value = tf.convert_to_tensor(value)
    if value.graph is not graph:
        raise ValueError(f"{what} must be from the default graph. Possible causes of this "
                         f"error include: 1) {what} was created outside the context of "
                         "the default graph; or 2) the model_fn built its own graph.")
    return value


# --- calling model_fn / input_fn ------------------------------------------------------

def _arg_names(fn):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return set(), False
    return ({p.name for p in params.values()
             if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)},
            any(p.kind == p.VAR_KEYWORD for p in params.values()))


def _check_model_fn(model_fn, params):
    if not callable(model_fn):
        raise ValueError(f"model_fn must be provided to Estimator, got {model_fn!r}.")
    names, _ = _arg_names(model_fn)
    if "features" not in names:
        raise ValueError(f"model_fn ({model_fn}) must include features argument.")
    if params and "params" not in names:
        raise ValueError(f"model_fn ({model_fn}) does not include params argument, but "
                         f"params ({params}) is passed to Estimator.")


def _call_input_fn(input_fn, mode, params, config):
    if not callable(input_fn):
        raise TypeError(f"input_fn must be callable, got {input_fn!r}.")
    with ops.device("/cpu:0"):
        return input_fn(**_accepted(input_fn, mode=mode, params=params, config=config))


def _accepted(fn, **candidates):
    """The keyword arguments among `candidates` that `fn` declares (TF 1.x passed
    ``mode``, ``params``, ``config``... only to functions taking them)."""
    names, _ = _arg_names(fn)
    return {key: value for key, value in candidates.items() if key in names}


class _DatasetInitializerHook(_v1.train.SessionRunHook):
    """Initializes the iterator of a ``Dataset`` returned by ``input_fn``."""

    def __init__(self, iterator):
        self._iterator = iterator

    def begin(self):
        self._initializer = self._iterator.initializer

    def after_create_session(self, session, coord):
        del coord
        session.run(self._initializer)


def _features_and_labels(result):
    """``input_fn``'s result as (features, labels, hooks): a Dataset gives its next
    element (its iterator initialized by a hook), a pair is (features, labels),
    anything else is features."""
    hooks = []
    if isinstance(result, tf.data.Dataset):
        iterator = _v1.data.make_initializable_iterator(result)
        hooks.append(_DatasetInitializerHook(iterator))
        result = iterator.get_next()
    if isinstance(result, (list, tuple)):
        if len(result) != 2:
            raise ValueError(f"input_fn should return (features, labels) as a len 2 "
                             f"tuple, got {len(result)} elements.")
        return result[0], result[1], hooks
    return result, None, hooks


class _StopAfterSteps(_v1.train.SessionRunHook):
    """Requests a stop after `steps` runs (evaluation and prediction steps)."""

    def __init__(self, steps):
        self._steps = steps
        self._done = 0

    def after_run(self, run_context, run_values):
        del run_values
        self._done += 1
        if self._done >= self._steps:
            run_context.request_stop()


# --- Estimator ----------------------------------------------------------------------

WarmStartSettings = collections.namedtuple(
    "WarmStartSettings", ["ckpt_to_initialize_from", "vars_to_warm_start",
                          "var_name_to_vocab_info", "var_name_to_prev_var_name"])
WarmStartSettings.__new__.__defaults__ = (".*", None, None)


def _warm_start_settings(value):
    if value is None or isinstance(value, WarmStartSettings):
        return value
    if isinstance(value, (str, bytes, os.PathLike)):
        return WarmStartSettings(os.fsdecode(value))
    raise ValueError(f"warm_start_from must be a string or a WarmStartSettings, instead "
                     f"got {type(value)}")


class Estimator:
    """TF 1.x's ``tf.estimator.Estimator`` (see the module docstring).

    Args:
      model_fn: ``model_fn(features, labels, mode, params, config)`` returning an
        :class:`EstimatorSpec` (``labels``, ``mode``, ``params``, ``config`` optional).
      model_dir: where checkpoints, summaries and evaluations go; default: the
        config's, else a new temporary directory.
      config: a :class:`RunConfig`.
      params: a dict passed to ``model_fn`` (and ``input_fn``) as ``params``.
      warm_start_from: a checkpoint (file or directory) or :class:`WarmStartSettings`
        to initialize variables from when training starts without a checkpoint.
    """

    def __init__(self, model_fn, model_dir=None, config=None, params=None,
                 warm_start_from=None):
        if config is None:
            config = RunConfig()
        elif not isinstance(config, RunConfig):
            raise ValueError(f"config must be an instance of `RunConfig`, but provided "
                             f"{config}.")
        if model_dir is not None:
            model_dir = os.fspath(model_dir)
            if config.model_dir is not None and config.model_dir != model_dir:
                raise ValueError(f"`model_dir` are set both in constructor and "
                                 f"`RunConfig`, but with different values. In "
                                 f"constructor: '{model_dir}', in `RunConfig`: "
                                 f"'{config.model_dir}'.")
        model_dir = model_dir or config.model_dir
        if model_dir is None:
            model_dir = tempfile.mkdtemp()
            _log.warning("Using temporary folder as model directory: %s", model_dir)
        self._config = config.replace(model_dir=model_dir)
        self._model_dir = model_dir
        self._params = copy.deepcopy(params or {})
        _check_model_fn(model_fn, self._params)
        self._model_fn = model_fn
        self._warm_start = _warm_start_settings(warm_start_from)

    model_dir = property(lambda self: self._model_dir)
    config = property(lambda self: copy.deepcopy(self._config))
    params = property(lambda self: copy.deepcopy(self._params))
    model_fn = property(lambda self: self._call_model_fn)

    # --- checkpoints ------------------------------------------------------------------
    def latest_checkpoint(self):
        """The latest checkpoint in ``model_dir``, or None."""
        return _v1.train.latest_checkpoint(self._model_dir)

    def _checkpoint(self, checkpoint_path=None):
        if checkpoint_path is not None:
            return os.fspath(checkpoint_path)
        return self.latest_checkpoint()

    def _checkpoint_or_init(self, checkpoint_path, purpose):
        checkpoint = self._checkpoint(checkpoint_path)
        if checkpoint is None:
            _log.info("Could not find trained model in model_dir: %s, running "
                      "initialization to %s.", self._model_dir, purpose)
        return checkpoint

    def _monitored(self, spec, checkpoint, hooks):
        """A MonitoredSession (the shim's) restoring `checkpoint`, or initializing."""
        v1 = _shim()
        creator = v1.train.ChiefSessionCreator(
            scaffold=spec.scaffold, checkpoint_filename_with_path=checkpoint,
            config=self._config.session_config)
        return v1.train.MonitoredSession(session_creator=creator, hooks=hooks)

    def get_variable_names(self):
        """Names of the variables in the latest checkpoint."""
        return [name for name, _ in _v1.train.list_variables(self._need_checkpoint())]

    def get_variable_value(self, name):
        """A variable's value in the latest checkpoint."""
        return _v1.train.load_variable(self._need_checkpoint(), name)

    def eval_dir(self, name=None):
        """Where :meth:`evaluate` (with that `name`) writes its metrics."""
        return os.path.join(self._model_dir, f"eval_{name}" if name else "eval")

    def _need_checkpoint(self):
        path = self.latest_checkpoint()
        if path is None:
            raise ValueError(f"Could not find trained model in model_dir: "
                             f"{self._model_dir}.")
        return path

    def _global_step_in(self, checkpoint):
        try:
            return int(_v1.train.load_variable(checkpoint, "global_step"))
        except (tf.errors.NotFoundError, ValueError):
            return 0

    # --- model_fn -----------------------------------------------------------------------
    def _call_model_fn(self, features, labels, mode, config=None):
        kwargs = _accepted(self._model_fn, labels=labels, mode=mode,
                           params=self._params_for(mode),
                           config=config or self.config)
        if labels is not None and "labels" not in kwargs:
            raise ValueError("model_fn does not take labels, but input_fn returns labels.")
        spec = self._model_fn(features=features, **kwargs)
        if not isinstance(spec, EstimatorSpec):
            raise ValueError(f"model_fn should return an EstimatorSpec. Given: {spec!r}")
        return spec

    def _params_for(self, mode):
        """The params `model_fn` and `input_fn` get in `mode` (a copy)."""
        del mode
        return self.params

    def _graph(self):
        graph = tf.Graph()
        _tf1_graphs.mark_tf1_graph(graph)
        return graph

    def _build(self, graph, input_fn, mode):
        with graph.as_default():
            if self._config.tf_random_seed is not None:
                _v1.set_random_seed(self._config.tf_random_seed)
            global_step = _v1.train.get_or_create_global_step(graph)
            features, labels, hooks = _features_and_labels(
                _call_input_fn(input_fn, mode, self._params_for(mode), self.config))
            spec = self._call_model_fn(features, labels, mode)
        return spec, global_step, hooks

    # --- train --------------------------------------------------------------------------
    def train(self, input_fn, hooks=None, steps=None, max_steps=None,
              saving_listeners=None):
        """Trains until the input ends, `steps` more steps or global step `max_steps`.
        Resumes from the latest checkpoint in ``model_dir``. Returns self."""
        if steps is not None and max_steps is not None:
            raise ValueError("Can not provide both steps and max_steps.")
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        hooks = _check_hooks(hooks)
        listeners = list(saving_listeners or ())
        if max_steps is not None:
            latest = self.latest_checkpoint()
            if latest is not None and self._global_step_in(latest) >= max_steps:
                _log.info("Skipping training since max_steps has already saved.")
                return self
        graph = self._graph()
        spec, global_step, input_hooks = self._build(graph, input_fn, ModeKeys.TRAIN)
        v1 = _shim()
        with graph.as_default():
            if steps is not None or max_steps is not None:
                input_hooks.append(_v1.train.StopAtStepHook(steps, max_steps))
            all_hooks = input_hooks + list(hooks) + list(spec.training_hooks)
            all_hooks.append(_v1.train.NanTensorHook(spec.loss))
            if self._config.log_step_count_steps:
                all_hooks.append(_v1.train.LoggingTensorHook(
                    {"loss": spec.loss, "step": global_step},
                    every_n_iter=self._config.log_step_count_steps))
            scaffold = spec.scaffold
            if not (scaffold.saver or _v1.get_collection(_v1.GraphKeys.SAVERS)):
                _v1.add_to_collection(_v1.GraphKeys.SAVERS, v1.train.Saver(
                    sharded=True, max_to_keep=self._config.keep_checkpoint_max,
                    keep_checkpoint_every_n_hours=self._config.keep_checkpoint_every_n_hours,
                    defer_build=True, save_relative_paths=True))
            chief_hooks = list(spec.training_chief_hooks)
            save_steps = self._config.save_checkpoints_steps
            save_secs = self._config.save_checkpoints_secs
            if save_steps or save_secs or listeners:
                if not (save_steps or save_secs):
                    raise ValueError("There should be a CheckpointSaverHook to use "
                                     "saving_listeners: set save_checkpoints_steps or "
                                     "save_checkpoints_secs in the RunConfig.")
                chief_hooks.append(_v1.train.CheckpointSaverHook(
                    self._model_dir, save_secs=save_secs, save_steps=save_steps,
                    scaffold=scaffold, listeners=listeners,
                    save_graph_def=self._config.checkpoint_save_graph_def))
            self._warm_start_if_new(graph)
            loss = None
            with v1.train.MonitoredTrainingSession(
                    master="", is_chief=True, checkpoint_dir=self._model_dir,
                    scaffold=scaffold, hooks=all_hooks, chief_only_hooks=chief_hooks,
                    save_checkpoint_secs=0, save_summaries_steps=(
                        self._config.save_summary_steps or None),
                    config=self._config.session_config,
                    log_step_count_steps=self._config.log_step_count_steps) as sess:
                while not sess.should_stop():
                    _, loss = sess.run([spec.train_op, spec.loss])
        if loss is not None:
            _log.info("Loss for final step: %s.", loss)
        return self

    def _warm_start_if_new(self, graph):
        if self._warm_start is None or self.latest_checkpoint() is not None:
            return
        ws = self._warm_start
        with graph.as_default():
            _v1.train.warm_start(ws.ckpt_to_initialize_from, ws.vars_to_warm_start,
                                 ws.var_name_to_vocab_info, ws.var_name_to_prev_var_name)

    # --- evaluate -----------------------------------------------------------------------
    def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None, name=None):
        """Metrics over the input (or its first `steps` batches) with the latest (or the
        given) checkpoint: ``eval_metric_ops``' values, ``loss`` (the mean loss) and
        ``global_step``; also written as summaries to ``model_dir/eval[_name]``."""
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        hooks = _check_hooks(hooks)
        checkpoint = self._checkpoint_or_init(checkpoint_path, "evaluate")
        graph = self._graph()
        spec, global_step, input_hooks = self._build(graph, input_fn, ModeKeys.EVAL)
        with graph.as_default():
            if _LOSS_METRIC in spec.eval_metric_ops:
                raise ValueError("Metric with name `loss` is not allowed, because "
                                 "Estimator already defines a default metric with the "
                                 "same name.")
            metrics = dict(spec.eval_metric_ops)
            metrics[_LOSS_METRIC] = _v1.metrics.mean(spec.loss)
            update = tf.group(*[pair[1] for pair in metrics.values()])
            values = {name_: pair[0] for name_, pair in metrics.items()}
            values["global_step"] = tf.convert_to_tensor(global_step)
            final = _v1.train.FinalOpsHook(values)
            all_hooks = input_hooks + list(spec.evaluation_hooks) + list(hooks)
            if steps is not None:
                all_hooks.append(_StopAfterSteps(steps))
            all_hooks.append(final)
            with self._monitored(spec, checkpoint, all_hooks) as sess:
                while not sess.should_stop():
                    sess.run(update)
        results = final.final_ops_values
        if results is None:  # pragma: no cover - FinalOpsHook runs at every clean end
            raise RuntimeError("evaluation ended without computing its metrics")
        _write_summaries(self.eval_dir(name), results, int(results["global_step"]))
        return results

    # --- predict ------------------------------------------------------------------------
    def predict(self, input_fn, predict_keys=None, hooks=None, checkpoint_path=None,
                yield_single_examples=True):
        """Yields predictions (per example, or per batch) until the input ends."""
        hooks = _check_hooks(hooks)
        checkpoint = self._checkpoint_or_init(checkpoint_path, "predict")
        graph = self._graph()
        spec, _, input_hooks = self._build(graph, input_fn, ModeKeys.PREDICT)
        predictions = _select(spec.predictions, predict_keys)
        with graph.as_default():
            with self._monitored(spec, checkpoint, input_hooks + list(
                    spec.prediction_hooks) + list(hooks)) as sess:
                while not sess.should_stop():
                    batch = sess.run(predictions)
                    if not yield_single_examples:
                        yield batch
                        continue
                    for example in _examples(batch):
                        yield example

    # --- export -------------------------------------------------------------------------
    def export_saved_model(self, export_dir_base, serving_input_receiver_fn,
                           assets_extra=None, as_text=False, checkpoint_path=None,
                           experimental_mode=ModeKeys.PREDICT):
        """Writes a TF1 SavedModel (tag ``serve``) of the PREDICT graph with the latest
        (or given) checkpoint's values into a new timestamped directory under
        `export_dir_base`; returns its path (bytes, as TF 1.x did). Nothing is left
        behind if the export fails."""
        if experimental_mode != ModeKeys.PREDICT:
            raise ValueError(f"compat's Estimator exports the PREDICT graph only, "
                             f"got experimental_mode={experimental_mode!r}.")
        if serving_input_receiver_fn is None or not callable(serving_input_receiver_fn):
            raise ValueError("An input_receiver_fn must be defined.")
        checkpoint = self._checkpoint(checkpoint_path)
        if checkpoint is None:
            raise ValueError(f"Couldn't find trained model at {self._model_dir}.")
        export_dir_base = os.fspath(export_dir_base)
        graph = self._graph()
        v1 = _shim()
        with graph.as_default():
            if self._config.tf_random_seed is not None:
                _v1.set_random_seed(self._config.tf_random_seed)
            _v1.train.get_or_create_global_step(graph)
            receiver = serving_input_receiver_fn()
            if not isinstance(receiver, ServingInputReceiver):
                raise TypeError(f"serving_input_receiver_fn must return a "
                                f"ServingInputReceiver, got {receiver!r}.")
            spec = self._call_model_fn(receiver.features, None, ModeKeys.PREDICT)
            outputs = _export_utils.get_export_outputs(spec.export_outputs,
                                                       spec.predictions)
            signatures = _export_utils.build_all_signature_defs(
                receiver.receiver_tensors, outputs,
                receiver.receiver_tensors_alternatives, serving_only=True)
            saver = spec.scaffold.saver or v1.train.Saver(sharded=True)
            local_init = spec.scaffold.local_init_op or tf.group(
                _v1.local_variables_initializer(), _v1.tables_initializer())
            final = os.fsdecode(_export_utils.get_timestamped_export_dir(export_dir_base))
            temp = final + ".compat-tmp"
            try:
                with v1.Session(graph=graph, config=self._config.session_config) as sess:
                    saver.restore(sess, checkpoint)
                    builder = v1.saved_model.builder.SavedModelBuilder(temp)
                    builder.add_meta_graph_and_variables(
                        sess, [tag_constants.SERVING], signature_def_map=signatures,
                        assets_collection=_v1.get_collection(
                            _v1.GraphKeys.ASSET_FILEPATHS),
                        main_op=local_init, strip_default_attrs=True)
                    builder.save(as_text)
                if assets_extra:
                    extra = os.path.join(temp, "assets.extra")
                    for dest, source in assets_extra.items():
                        target = os.path.join(extra, dest)
                        os.makedirs(os.path.dirname(target), exist_ok=True)
                        shutil.copyfile(source, target)
                os.rename(temp, final)
            except BaseException:
                shutil.rmtree(temp, ignore_errors=True)
                raise
        return final.encode()

    export_savedmodel = export_saved_model


def _check_hooks(hooks):
    hooks = list(hooks or ())
    for hook in hooks:
        if not isinstance(hook, _v1.train.SessionRunHook):
            raise TypeError(f"All hooks must be SessionRunHook instances, given: {hook!r}")
    return hooks


def _select(predictions, keys):
    if keys is None:
        return predictions
    if not isinstance(predictions, dict):
        raise ValueError("predict_keys argument is not valid in case of non-dict "
                         "predictions.")
    keys = [keys] if isinstance(keys, str) else list(keys)
    missing = [k for k in keys if k not in predictions]
    if missing:
        raise ValueError(f"Expected to run at least one output from "
                         f"{sorted(predictions)}, provided {keys}.")
    return {k: predictions[k] for k in keys}


def _examples(batch):
    if not isinstance(batch, dict):
        yield from batch
        return
    sizes = {k: len(v) for k, v in batch.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"Batch length of predictions should be same. {sizes}")
    for i in range(next(iter(sizes.values()), 0)):
        yield {k: v[i] for k, v in batch.items()}


def _write_summaries(directory, values, step):
    summary = summary_pb2.Summary()
    for key, value in sorted(values.items()):
        if key == "global_step":
            continue
        array = np.asarray(value)
        if array.dtype.kind in "fiub" and array.size == 1:
            summary.value.add(tag=key, simple_value=float(array.reshape(())))
        else:
            _log.warning("Skipping summary for %s, must be a float or int scalar.", key)
    # one writer per directory for the process, as TF 1.x's FileWriterCache: a new
    # writer per evaluation could reuse the name of one made in the same second
    with _writers_lock:
        writer = _writers.get(directory)
        if writer is not None and not os.path.isdir(directory):  # removed since
            writer.close()
            writer = None
        if writer is None:
            with tf.Graph().as_default():  # TF's v1 FileWriter refuses eager execution
                writer = _writers[directory] = _v1.summary.FileWriter(directory)
        writer.add_summary(summary, step)
        writer.flush()


_writers = {}
_writers_lock = threading.Lock()


# --- export receivers ---------------------------------------------------------------

class ServingInputReceiver(collections.namedtuple(
        "ServingInputReceiver",
        ["features", "receiver_tensors", "receiver_tensors_alternatives"])):
    """What a ``serving_input_receiver_fn`` returns: the features ``model_fn`` gets and
    the tensors a served request feeds (a single tensor becomes ``{'feature': t}`` /
    ``{'input': t}``, as in TF 1.x)."""

    def __new__(cls, features, receiver_tensors, receiver_tensors_alternatives=None):
        if features is None:
            raise ValueError("features must be defined.")
        if not isinstance(features, dict):
            features = {"feature": features}
        if receiver_tensors is None:
            raise ValueError("receiver_tensors must be defined.")
        if not isinstance(receiver_tensors, dict):
            receiver_tensors = {"input": receiver_tensors}
        for key in list(features) + list(receiver_tensors):
            if not isinstance(key, str):
                raise ValueError(f"feature and receiver keys must be strings, got {key!r}")
        return super().__new__(cls, features, receiver_tensors,
                               receiver_tensors_alternatives)


def build_raw_serving_input_receiver_fn(features, default_batch_size=None):
    """A receiver fn feeding each feature through a placeholder of its dtype and shape
    (batch dimension `default_batch_size`)."""
    def receiver_fn():
        placeholders = {}
        for key, t in features.items():
            shape = [default_batch_size] + t.shape.as_list()[1:] \
                if t.shape.ndims else t.shape.as_list()
            placeholders[key] = _v1.placeholder(t.dtype, shape, name=key)
        return ServingInputReceiver(placeholders, placeholders)

    return receiver_fn


def build_parsing_serving_input_receiver_fn(feature_spec, default_batch_size=None):
    """A receiver fn fed serialized ``tf.Example`` strings, parsed with `feature_spec`."""
    def receiver_fn():
        serialized = _v1.placeholder(tf.string, [default_batch_size],
                                     name="input_example_tensor")
        features = _v1.parse_example(serialized, feature_spec)
        return ServingInputReceiver(features, {"examples": serialized})

    return receiver_fn


# --- train_and_evaluate ---------------------------------------------------------------

class TrainSpec(collections.namedtuple("TrainSpec", ["input_fn", "max_steps", "hooks"])):
    """The training half of :func:`train_and_evaluate`."""

    def __new__(cls, input_fn, max_steps=None, hooks=None):
        if not callable(input_fn):
            raise TypeError(f"`input_fn` must be callable, given: {input_fn}")
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        return super().__new__(cls, input_fn, max_steps, tuple(_check_hooks(hooks)))


class EvalSpec(collections.namedtuple("EvalSpec", [
        "input_fn", "steps", "name", "hooks", "exporters", "start_delay_secs",
        "throttle_secs"])):
    """The evaluation half of :func:`train_and_evaluate`."""

    def __new__(cls, input_fn, steps=100, name=None, hooks=None, exporters=None,
                start_delay_secs=120, throttle_secs=600):
        if not callable(input_fn):
            raise TypeError(f"`input_fn` must be callable, given: {input_fn}")
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be string, given: {name}")
        if throttle_secs < 0:
            raise ValueError(f"Must specify throttle_secs >= 0, given: {throttle_secs}")
        if start_delay_secs < 0:
            raise ValueError(f"Must specify start_delay_secs >= 0, given: "
                             f"{start_delay_secs}")
        if exporters is None:
            exporters = ()
        elif isinstance(exporters, Exporter):
            exporters = (exporters,)
        else:
            exporters = tuple(exporters)
        names = [e.name for e in exporters]
        for exporter in exporters:
            if not isinstance(exporter, Exporter):
                raise TypeError(f"`exporters` must be an Exporter, an iterable of "
                                f"Exporter, or `None`, found {exporter}.")
        if len(set(names)) != len(names):
            raise ValueError(f"`exporters` must have unique names. Such a name cannot be "
                             f"`None`. {names} given.")
        return super().__new__(cls, input_fn, steps, name, tuple(_check_hooks(hooks)),
                               exporters, start_delay_secs, throttle_secs)


class Exporter:
    """Base of the exporters :func:`train_and_evaluate` runs after evaluations."""

    @property
    def name(self):
        raise NotImplementedError

    def export(self, estimator, export_path, checkpoint_path, eval_result,
               is_the_final_export):
        raise NotImplementedError


class FinalExporter(Exporter):
    """Exports a SavedModel once, after the final evaluation."""

    def __init__(self, name, serving_input_receiver_fn, assets_extra=None, as_text=False):
        if not name:
            raise ValueError("`name` must be a non-empty string.")
        self._name = name
        self._receiver_fn = serving_input_receiver_fn
        self._assets_extra = assets_extra
        self._as_text = as_text

    name = property(lambda self: self._name)

    def export(self, estimator, export_path, checkpoint_path, eval_result,
               is_the_final_export):
        del eval_result
        if not is_the_final_export:
            return None
        return self._export(estimator, export_path, checkpoint_path)

    def _export(self, estimator, export_path, checkpoint_path, keep=None):
        """Exports, then removes all but the newest `keep` exports in `export_path`."""
        path = estimator.export_saved_model(
            export_path, self._receiver_fn, assets_extra=self._assets_extra,
            as_text=self._as_text, checkpoint_path=checkpoint_path)
        if keep is not None:
            exports = sorted(e for e in os.listdir(export_path) if e.isdigit())
            for old in exports[:-keep]:
                shutil.rmtree(os.path.join(export_path, old), ignore_errors=True)
        return path


class LatestExporter(FinalExporter):
    """Exports after every evaluation, keeping the newest `exports_to_keep` exports."""

    def __init__(self, name, serving_input_receiver_fn, assets_extra=None, as_text=False,
                 exports_to_keep=5):
        super().__init__(name, serving_input_receiver_fn, assets_extra, as_text)
        if exports_to_keep is not None and exports_to_keep <= 0:
            raise ValueError("`exports_to_keep`, if provided, must be a positive number. "
                             f"Got {exports_to_keep}")
        self._keep = exports_to_keep

    def export(self, estimator, export_path, checkpoint_path, eval_result,
               is_the_final_export):
        del eval_result, is_the_final_export
        return self._export(estimator, export_path, checkpoint_path, self._keep)


def _loss_smaller(best_eval_result, current_eval_result):
    """BestExporter's default comparison: a smaller ``loss`` is better."""
    for result in (best_eval_result, current_eval_result):
        if not result or "loss" not in result:
            raise ValueError("best_eval_result and current_eval_result cannot be empty "
                             "and must contain 'loss'.")
    return best_eval_result["loss"] > current_eval_result["loss"]


class BestExporter(FinalExporter):
    """Exports after an evaluation better than every earlier one (``compare_fn``; by
    default a smaller loss), keeping the newest `exports_to_keep` exports. Earlier
    evaluations in ``model_dir/eval`` (a resumed run) count."""

    def __init__(self, name="best_exporter", serving_input_receiver_fn=None,
                 event_file_pattern="eval/*.tfevents.*", compare_fn=_loss_smaller,
                 assets_extra=None, as_text=False, exports_to_keep=5):
        super().__init__(name, serving_input_receiver_fn, assets_extra, as_text)
        if not callable(compare_fn):
            raise ValueError("`compare_fn` must be callable.")
        if exports_to_keep is not None and exports_to_keep <= 0:
            raise ValueError("`exports_to_keep`, if provided, must be a positive number. "
                             f"Got {exports_to_keep}")
        self._compare = compare_fn
        self._pattern = event_file_pattern
        self._keep = exports_to_keep
        self._best = None
        self._loaded = False

    def _earlier_best(self, estimator, before_step):
        if not self._pattern:
            return None
        directory = os.path.dirname(os.path.join(estimator.model_dir, self._pattern))
        best = None
        for step, metrics in read_eval_metrics(directory).items():
            if step >= before_step:
                continue
            if best is None or self._compare(best_eval_result=best,
                                             current_eval_result=metrics):
                best = metrics
        return best

    def export(self, estimator, export_path, checkpoint_path, eval_result,
               is_the_final_export):
        del is_the_final_export
        if not self._loaded:
            self._loaded = True
            self._best = self._earlier_best(estimator, int(eval_result["global_step"]))
        if self._best is not None and not self._compare(best_eval_result=self._best,
                                                        current_eval_result=eval_result):
            return None
        self._best = eval_result
        return self._export(estimator, export_path, checkpoint_path, self._keep)


class _EvaluateOnSave(_v1.train.CheckpointSaverListener):
    """Evaluates (and exports) after a checkpoint is saved, at most once per
    `throttle_secs`, and always after the last one."""

    def __init__(self, estimator, eval_spec):
        self._estimator = estimator
        self._spec = eval_spec
        self._last_time = None
        self._last_step = None
        self.eval_result = None
        self.export_results = []

    def after_save(self, session, global_step_value):
        del session
        if global_step_value == 0:
            return  # the checkpoint written when training starts: nothing trained yet
        now = time.time()
        if self._last_time is not None and now - self._last_time < self._spec.throttle_secs:
            _log.info("Skipping the evaluation of the checkpoint at step %d (throttle_secs).",
                      global_step_value)
            return
        self._evaluate(global_step_value, final=False)

    def end(self, session, global_step_value):
        del session
        if global_step_value != self._last_step:
            self._evaluate(global_step_value, final=True)
        elif self._spec.exporters:
            self._export(final=True)

    def _evaluate(self, step, final):
        self._last_time = time.time()
        self._last_step = step
        self.eval_result = self._estimator.evaluate(
            self._spec.input_fn, steps=self._spec.steps, hooks=self._spec.hooks,
            name=self._spec.name)
        self._export(final)

    def _export(self, final):
        checkpoint = self._estimator.latest_checkpoint()
        results = []
        for exporter in self._spec.exporters:
            path = os.path.join(self._estimator.model_dir, "export", exporter.name)
            results.append(exporter.export(self._estimator, path, checkpoint,
                                           self.eval_result, final))
        self.export_results = results


def train_and_evaluate(estimator, train_spec, eval_spec):
    """Trains `estimator` to ``train_spec.max_steps`` (or the end of its input),
    evaluating and exporting after checkpoints (at most every ``throttle_secs``) and
    after the last one, on this machine. Returns ``(eval_result, export_results)``."""
    if not isinstance(estimator, Estimator):
        raise TypeError(f"`estimator` must have type `tf.estimator.Estimator`, given "
                        f"{type(estimator)}")
    if not isinstance(train_spec, TrainSpec):
        raise TypeError(f"`train_spec` must have type `tf.estimator.TrainSpec`, given "
                        f"{type(train_spec)}")
    if not isinstance(eval_spec, EvalSpec):
        raise TypeError(f"`eval_spec` must have type `tf.estimator.EvalSpec`, given "
                        f"{type(eval_spec)}")
    _check_tf_config()
    listener = _EvaluateOnSave(estimator, eval_spec)
    estimator.train(train_spec.input_fn, hooks=list(train_spec.hooks),
                    max_steps=train_spec.max_steps, saving_listeners=[listener])
    if listener.eval_result is None:  # max_steps had been reached before: evaluate once
        listener.end(None, estimator._global_step_in(estimator._need_checkpoint()))
    return listener.eval_result, listener.export_results


# --- inputs ----------------------------------------------------------------------------

def numpy_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None,
                   queue_capacity=1000, num_threads=1):
    """An ``input_fn`` over NumPy arrays: `x` a dict of arrays (features by key) or one
    array (the features tensor), `y` labels (an array or a dict). ``shuffle`` must be
    set explicitly. The batches come from a ``tf.data`` pipeline (TF 1.x used feeding
    queues: unshuffled batches are the same, shuffled ones come in another order)."""
    if not isinstance(shuffle, bool):
        raise ValueError(f"shuffle must be provided and explicitly set as boolean (it is "
                         f"recommended to set it as True for training); got {shuffle}")
    if not isinstance(x, dict):
        if isinstance(x, np.ndarray):
            x = {"__direct_np_input__": x}
        else:
            raise TypeError(f"x must be a dict or array; got {type(x).__name__}")
    if isinstance(y, dict) and set(x) & set(y):
        raise ValueError(f"{sorted(set(x) & set(y))} duplicate keys are found in both x "
                         "and y; keys in x and y must be unique.")
    lengths = {len(v) for v in x.values()}
    if y is not None:
        lengths |= {len(v) for v in (y.values() if isinstance(y, dict) else [y])}
    if len(lengths) != 1:
        raise ValueError(f"Length of tensors in x and y is mismatched. All elements in x "
                         f"and y must have the same length. Lengths: {sorted(lengths)}")

    def input_fn():
        data = dict(x)
        dataset = tf.data.Dataset.from_tensor_slices((data, y) if y is not None else data)
        if shuffle:
            dataset = dataset.shuffle(queue_capacity)
        dataset = dataset.repeat(num_epochs).batch(batch_size)
        element = _v1.data.make_one_shot_iterator(dataset).get_next()
        features, labels = element if y is not None else (element, None)
        if "__direct_np_input__" in features:
            features = features["__direct_np_input__"]
        return (features, labels) if y is not None else features

    return input_fn


# --- early stopping (tf.estimator.experimental) ------------------------------------------

def read_eval_metrics(eval_dir):
    """``{global_step: {metric: value}}`` from the evaluation summaries in `eval_dir`,
    in step order."""
    found = {}
    if not os.path.isdir(eval_dir):
        return found
    for name in sorted(os.listdir(eval_dir)):
        if ".tfevents." not in name:
            continue
        for event in _v1.train.summary_iterator(os.path.join(eval_dir, name)):
            values = {v.tag: v.simple_value for v in event.summary.value
                      if v.WhichOneof("value") == "simple_value"}
            if values:
                found.setdefault(event.step, {}).update(values)
    return dict(sorted(found.items()))


class _StopOnPredicateHook(_v1.train.SessionRunHook):
    """Requests a stop when `predicate_fn()` is true, checked at most every
    `run_every_secs` seconds or `run_every_steps` steps."""

    def __init__(self, predicate_fn, run_every_secs=60, run_every_steps=None):
        if not callable(predicate_fn):
            raise TypeError("`should_stop_fn` must be callable.")
        self._predicate = predicate_fn
        self._timer = _v1.train.SecondOrStepTimer(every_secs=run_every_secs,
                                                  every_steps=run_every_steps)

    def begin(self):
        self._global_step = _v1.train.get_global_step()
        if self._global_step is None:
            raise RuntimeError("Global step should be created to use early stopping.")

    def before_run(self, run_context):
        del run_context
        return _v1.train.SessionRunArgs(self._global_step)

    def after_run(self, run_context, run_values):
        step = run_values.results
        if self._timer.should_trigger_for_step(step):
            self._timer.update_last_triggered_step(step)
            if self._predicate():
                _log.info("Requesting early stopping at global step %d", step)
                run_context.request_stop()


def make_early_stopping_hook(estimator, should_stop_fn, run_every_secs=60,
                             run_every_steps=None):
    """A training hook stopping `estimator`'s training when `should_stop_fn()`."""
    if run_every_secs is not None and run_every_steps is not None:
        raise ValueError("Only one of `run_every_secs` and `run_every_steps` can be set.")
    del estimator
    return _StopOnPredicateHook(should_stop_fn, run_every_secs, run_every_steps)


def _metric_hook(estimator, metric_name, better, patience, min_steps, eval_dir,
                 run_every_secs, run_every_steps):
    directory = eval_dir or estimator.eval_dir()

    def should_stop():
        best_value = best_step = None
        for step, metrics in read_eval_metrics(directory).items():
            if step < min_steps:
                continue
            if metric_name not in metrics:
                raise ValueError(f"metric_name {metric_name} not found in eval metrics at "
                                 f"step {step}: {sorted(metrics)}")
            value = metrics[metric_name]
            if best_value is None or better(value, best_value):
                best_value, best_step = value, step
            if patience(step, value, best_step):
                return True
        return False

    return make_early_stopping_hook(estimator, should_stop, run_every_secs, run_every_steps)


def stop_if_no_decrease_hook(estimator, metric_name, max_steps_without_decrease,
                             eval_dir=None, min_steps=0, run_every_secs=60,
                             run_every_steps=None):
    """Stops training when `metric_name` has not decreased for
    `max_steps_without_decrease` steps of evaluations."""
    return _metric_hook(estimator, metric_name, lambda a, b: a < b,
                        lambda step, value, best: step - best >= max_steps_without_decrease,
                        min_steps, eval_dir, run_every_secs, run_every_steps)


def stop_if_no_increase_hook(estimator, metric_name, max_steps_without_increase,
                             eval_dir=None, min_steps=0, run_every_secs=60,
                             run_every_steps=None):
    """Stops training when `metric_name` has not increased for
    `max_steps_without_increase` steps of evaluations."""
    return _metric_hook(estimator, metric_name, lambda a, b: a > b,
                        lambda step, value, best: step - best >= max_steps_without_increase,
                        min_steps, eval_dir, run_every_secs, run_every_steps)


def stop_if_higher_hook(estimator, metric_name, threshold, eval_dir=None, min_steps=0,
                        run_every_secs=60, run_every_steps=None):
    """Stops training once an evaluation's `metric_name` is above `threshold`."""
    return _metric_hook(estimator, metric_name, lambda a, b: False,
                        lambda step, value, best: value > threshold,
                        min_steps, eval_dir, run_every_secs, run_every_steps)


def stop_if_lower_hook(estimator, metric_name, threshold, eval_dir=None, min_steps=0,
                       run_every_secs=60, run_every_steps=None):
    """Stops training once an evaluation's `metric_name` is below `threshold`."""
    return _metric_hook(estimator, metric_name, lambda a, b: False,
                        lambda step, value, best: value < threshold,
                        min_steps, eval_dir, run_every_secs, run_every_steps)


# --- what is not covered ----------------------------------------------------------------

_NOT_COVERED = {
    "canned": "the canned estimators (DNNClassifier, LinearRegressor, BoostedTrees...)",
    "tpu": "TPUEstimator",
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
    from compat.tf1.namespace import Namespace

    export = types.ModuleType("compat.v1.estimator.export")
    export.ServingInputReceiver = ServingInputReceiver
    export.build_raw_serving_input_receiver_fn = build_raw_serving_input_receiver_fn
    export.build_parsing_serving_input_receiver_fn = build_parsing_serving_input_receiver_fn
    export.ExportOutput = _export_output.ExportOutput
    export.PredictOutput = _export_output.PredictOutput
    export.ClassificationOutput = _export_output.ClassificationOutput
    export.RegressionOutput = _export_output.RegressionOutput
    inputs = types.ModuleType("compat.v1.estimator.inputs")
    inputs.numpy_input_fn = numpy_input_fn
    experimental = types.ModuleType("compat.v1.estimator.experimental")
    for fn in (make_early_stopping_hook, stop_if_no_decrease_hook, stop_if_no_increase_hook,
               stop_if_higher_hook, stop_if_lower_hook):
        setattr(experimental, fn.__name__, fn)
    module = types.ModuleType("compat.v1.estimator", __doc__)
    members = dict(
        Estimator=Estimator, EstimatorSpec=EstimatorSpec, ModeKeys=ModeKeys,
        RunConfig=RunConfig, TrainSpec=TrainSpec, EvalSpec=EvalSpec,
        train_and_evaluate=train_and_evaluate, WarmStartSettings=WarmStartSettings,
        Exporter=Exporter, FinalExporter=FinalExporter, LatestExporter=LatestExporter,
        BestExporter=BestExporter,
        VocabInfo=_v1.train.VocabInfo, export=export, inputs=inputs,
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


# --- tf.contrib.tpu's TPUEstimator, run on CPU (use_tpu=False) ------------------------

TPUConfig = collections.namedtuple("TPUConfig", [
    "iterations_per_loop", "num_shards", "num_cores_per_replica", "per_host_input_for_training",
    "tpu_job_name", "initial_infeed_sleep_secs", "input_partition_dims",
    "eval_training_input_configuration", "experimental_host_call_every_n_steps"])
TPUConfig.__new__.__defaults__ = (2, None, None, True, None, None, None, None, 1)


class InputPipelineConfig:
    """TF 1.x's input pipeline choices for TPUs (accepted; nothing to choose on CPU)."""

    PER_SHARD_V1 = 1
    PER_HOST_V1 = 2
    PER_HOST_V2 = 3
    BROADCAST = 4
    SLICED = 5


class TPURunConfig(RunConfig):
    """``tf.contrib.tpu.RunConfig``: a :class:`RunConfig` with ``tpu_config`` and
    ``cluster`` (accepted for TPUEstimator code run with ``use_tpu=False``)."""

    def __init__(self, tpu_config=None, evaluation_master=None, master=None, cluster=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.__dict__["_tpu"] = dict(tpu_config=tpu_config or TPUConfig(),
                                     cluster=cluster)

    tpu_config = property(lambda self: self.__dict__["_tpu"]["tpu_config"])
    cluster = property(lambda self: self.__dict__["_tpu"]["cluster"])

    def replace(self, **kwargs):
        tpu = dict(self.__dict__["_tpu"])
        for key in ("tpu_config", "cluster"):
            if key in kwargs:
                tpu[key] = kwargs.pop(key)
        base = super().replace(**kwargs)
        return TPURunConfig(**tpu, **base._values)


_TPU_SPEC_FIELDS = ("mode", "predictions", "loss", "train_op", "eval_metrics",
                    "export_outputs", "scaffold_fn", "host_call", "training_hooks",
                    "evaluation_hooks", "prediction_hooks")


class TPUEstimatorSpec(collections.namedtuple("TPUEstimatorSpec", _TPU_SPEC_FIELDS)):
    """What a TPUEstimator ``model_fn`` returns: ``eval_metrics`` is ``(metric_fn,
    tensors)``, ``scaffold_fn`` returns the Scaffold, ``host_call`` is ``(fn,
    tensors)`` run with every training step (summaries)."""

    def __new__(cls, mode, predictions=None, loss=None, train_op=None, eval_metrics=None,
                export_outputs=None, scaffold_fn=None, host_call=None, training_hooks=None,
                evaluation_hooks=None, prediction_hooks=None):
        for name, pair in (("eval_metrics", eval_metrics), ("host_call", host_call)):
            if pair is not None and not (isinstance(pair, (tuple, list)) and len(pair) == 2
                                         and callable(pair[0])):
                raise ValueError(f"{name} should be tuple or list with two elements: "
                                 f"(fn, tensors), got {pair!r}")
        return super().__new__(cls, mode, predictions, loss, train_op, eval_metrics,
                               export_outputs, scaffold_fn, host_call, training_hooks,
                               evaluation_hooks, prediction_hooks)

    def as_estimator_spec(self):
        """The :class:`EstimatorSpec` TF 1.x's TPUEstimator ran on CPU."""
        def call(pair):
            fn, tensors = pair
            return fn(**tensors) if isinstance(tensors, dict) else fn(*tensors)

        hooks = list(self.training_hooks or ())
        if self.host_call is not None:
            hooks.append(_RunWithEachStep(call(self.host_call)))
        return EstimatorSpec(
            self.mode, predictions=self.predictions, loss=self.loss,
            train_op=self.train_op,
            eval_metric_ops=call(self.eval_metrics) if self.eval_metrics else None,
            export_outputs=self.export_outputs,
            scaffold=self.scaffold_fn() if self.scaffold_fn else None,
            training_hooks=hooks, evaluation_hooks=self.evaluation_hooks,
            prediction_hooks=self.prediction_hooks)


class _RunWithEachStep(_v1.train.SessionRunHook):
    """Runs a host call's ops (summary writes, typically) with every step."""

    def __init__(self, ops_):
        self._ops = ops_

    def before_run(self, run_context):
        del run_context
        return _v1.train.SessionRunArgs(self._ops)


class TPUEstimator(Estimator):
    """``tf.contrib.tpu.TPUEstimator`` with ``use_tpu=False``, as TF 1.x ran it on a CPU:
    ``params['batch_size']`` is the mode's batch size, the model_fn's
    :class:`TPUEstimatorSpec` runs as an :class:`EstimatorSpec` (``eval_metrics``'
    ``metric_fn`` called on its tensors, ``scaffold_fn`` called). ``use_tpu=True``
    raises ValueError: there is no TPU here."""

    def __init__(self, model_fn=None, model_dir=None, config=None, params=None,
                 use_tpu=True, train_batch_size=None, eval_batch_size=None,
                 predict_batch_size=None, batch_axis=None, eval_on_tpu=True,
                 export_to_tpu=True, export_to_cpu=True, warm_start_from=None,
                 embedding_config_spec=None, export_saved_model_api_version=None):
        if use_tpu:
            raise ValueError("TPUEstimator(use_tpu=True): compat runs TPUEstimator code on "
                             "CPU only (use_tpu=False); for TPUs port the model to "
                             "tf.distribute.TPUStrategy.")
        if embedding_config_spec is not None:
            raise ValueError("TPUEstimator(embedding_config_spec=...) needs TPU embeddings, "
                             "which compat does not cover.")
        params = dict(params or {})
        if "batch_size" in params:
            raise ValueError("params cannot include batch_size: it is reserved (set "
                             "train_batch_size / eval_batch_size / predict_batch_size).")
        for name, value in (("train_batch_size", train_batch_size),
                            ("eval_batch_size", eval_batch_size),
                            ("predict_batch_size", predict_batch_size)):
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise ValueError(f"{name} must be a positive int, got {value!r}.")
        self._batch_sizes = {ModeKeys.TRAIN: train_batch_size,
                             ModeKeys.EVAL: eval_batch_size,
                             ModeKeys.PREDICT: predict_batch_size}
        _check_model_fn(model_fn, None)
        self._tpu_model_fn = model_fn
        super().__init__(self._as_estimator_model_fn, model_dir=model_dir,
                         config=config, params=params, warm_start_from=warm_start_from)

    def _as_estimator_model_fn(self, features, labels, mode, params, config):
        spec = self._tpu_model_fn(features=features, **_accepted(
            self._tpu_model_fn, labels=labels, mode=mode, params=params, config=config))
        if isinstance(spec, TPUEstimatorSpec):
            return spec.as_estimator_spec()
        return spec

    def _params_for(self, mode):
        """TF 1.x's TPUEstimator params: ``use_tpu`` and the mode's ``batch_size``."""
        if self._batch_sizes[mode] is None and mode == ModeKeys.TRAIN:
            raise ValueError("train_batch_size must be set to train a TPUEstimator.")
        params = self.params
        params["use_tpu"] = False
        if self._batch_sizes[mode] is not None:
            params["batch_size"] = self._batch_sizes[mode]
        return params
