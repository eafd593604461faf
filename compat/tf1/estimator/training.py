"""``train_and_evaluate`` on one machine, its specs, and the exporters."""

import collections
import logging
import os
import shutil
import time

import tensorflow as tf


from compat.tf1.estimator.early_stopping import read_eval_metrics
from compat.tf1.estimator.estimator import Estimator, _check_hooks
from compat.tf1.estimator.run_config import _check_tf_config

_log = logging.getLogger("compat.estimator")
_v1 = tf.compat.v1


__all__ = ["BestExporter", "EvalSpec", "Exporter", "FinalExporter", "LatestExporter",
    "TrainSpec", "train_and_evaluate"]


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
