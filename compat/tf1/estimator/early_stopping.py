"""``tf.estimator.experimental``'s early-stopping hooks, reading evaluations from ``eval_dir``."""

import logging
import os

import tensorflow as tf


_log = logging.getLogger("compat.estimator")
_v1 = tf.compat.v1


__all__ = ["make_early_stopping_hook", "read_eval_metrics", "stop_if_higher_hook",
    "stop_if_lower_hook", "stop_if_no_decrease_hook", "stop_if_no_increase_hook"]


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
