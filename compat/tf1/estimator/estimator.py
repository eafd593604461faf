"""The ``Estimator`` loop: train, evaluate, predict and export, after TF 1.15's behaviour."""

import collections
import copy
import functools
import inspect
import logging
import os
import shutil
import tempfile
import threading
import types

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2
from tensorflow.python.framework import ops
from tensorflow.python.saved_model import tag_constants
from tensorflow.python.saved_model.model_utils import export_utils as _export_utils

from compat.tf1 import graphs as _tf1_graphs

from compat.tf1.estimator.export import ServingInputReceiver
from compat.tf1.estimator.run_config import RunConfig
from compat.tf1.estimator.spec import EstimatorSpec, ModeKeys, _LOSS_METRIC


__all__ = ["Estimator", "WarmStartSettings"]


_log = logging.getLogger("compat.estimator")


_v1 = tf.compat.v1


@functools.lru_cache(maxsize=None)
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
