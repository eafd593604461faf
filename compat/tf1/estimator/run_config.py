"""``tf.estimator.RunConfig`` after TF 1.15 (one machine: TF_CONFIG clusters are refused)."""

import json
import os

import numpy as np


__all__ = ["RunConfig"]


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
