"""``tf.contrib.tpu.TPUEstimator`` run on CPU (``use_tpu=False``), as TF 1.x ran it."""

import collections

import tensorflow as tf


from compat.tf1.estimator.estimator import Estimator, _accepted, _check_model_fn
from compat.tf1.estimator.run_config import RunConfig
from compat.tf1.estimator.spec import EstimatorSpec, ModeKeys

_v1 = tf.compat.v1


__all__ = ["InputPipelineConfig", "TPUConfig", "TPUEstimator", "TPUEstimatorSpec",
    "TPURunConfig"]


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
