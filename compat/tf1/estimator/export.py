"""Export receivers: ``ServingInputReceiver`` and the raw / parsing receiver fns."""

import collections

import tensorflow as tf


_v1 = tf.compat.v1


__all__ = ["ServingInputReceiver", "build_parsing_serving_input_receiver_fn",
    "build_raw_serving_input_receiver_fn"]


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
