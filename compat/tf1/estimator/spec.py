"""``ModeKeys`` and ``EstimatorSpec``: what a ``model_fn`` returns, validated as TF 1.15 did."""

import collections

import tensorflow as tf
from tensorflow.python.framework import ops
from tensorflow.python.saved_model.model_utils import export_output as _export_output


_v1 = tf.compat.v1


__all__ = ["EstimatorSpec", "ModeKeys"]


class ModeKeys:
    """The three modes ``model_fn`` is called in (TF 1.x's strings)."""

    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"


_MODES = (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT)


_LOSS_METRIC = "loss"


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
