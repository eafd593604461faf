"""``tf.contrib.layers``: TF 1.15's initializers, regularizers and layers, written after its
documented behaviour (the same random ops with the same arguments, so seeded values match
TF1's). With tf-slim installed, ``tf.contrib.layers`` serves tf-slim's objects first.
"""

import math
import numbers

import tensorflow as _tf
from tensorflow.python.ops import variable_scope as _variable_scope

from compat.tf1.guard import guard_callable as _guarded


_v1 = _tf.compat.v1

__all__ = ["apply_regularization", "embed_sequence", "fully_connected", "l1_regularizer",
    "l2_regularizer", "variance_scaling_initializer", "xavier_initializer"]


# --- contrib.layers ---------------------------------------------------------------
def _fans(shape):
    """TF1 contrib's fan computation (conv kernels multiply the receptive field in)."""
    if shape:
        fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1])
        fan_out = float(shape[-1])
    else:
        fan_in = fan_out = 1.0
    for dim in shape[:-2]:
        fan_in *= float(dim)
        fan_out *= float(dim)
    return fan_in, fan_out


def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None,
                                 dtype=_tf.float32):
    """TF1 ``tf.contrib.layers.variance_scaling_initializer`` (He init by default).

    Uniform: U(-sqrt(3 * factor / n), +...); normal: truncated normal with
    stddev sqrt(1.3 * factor / n), n chosen by `mode` (FAN_IN, FAN_OUT, FAN_AVG).
    """
    if not _tf.as_dtype(dtype).is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")
    if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
        raise TypeError(f"Unknown mode {mode} [FAN_IN, FAN_OUT, FAN_AVG]")

    def _initializer(shape, dtype=dtype, partition_info=None):
        if not _tf.as_dtype(dtype).is_floating:
            raise TypeError("Cannot create initializer for non-floating point type.")
        shape = [int(d) for d in _tf.TensorShape(shape).as_list()]
        fan_in, fan_out = _fans(shape)
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[mode]
        if uniform:
            limit = math.sqrt(3.0 * factor / n)
            return _v1.random_uniform(shape, -limit, limit, dtype, seed=seed)
        stddev = math.sqrt(1.3 * factor / n)
        return _v1.truncated_normal(shape, 0.0, stddev, dtype, seed=seed)

    return _guarded(_initializer)


def xavier_initializer(uniform=True, seed=None, dtype=_tf.float32):
    """TF1 ``tf.contrib.layers.xavier_initializer`` (Glorot; FAN_AVG, factor 1)."""
    return variance_scaling_initializer(factor=1.0, mode="FAN_AVG", uniform=uniform,
                                        seed=seed, dtype=dtype)


def _check_scale(scale):
    if isinstance(scale, numbers.Integral):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale}")
        if scale == 0.0:
            return False
    return True


def _regularizer(scale, scope, default_name, penalty):
    """A TF1 contrib regularizer: ``scale * penalty(w)`` in a name scope; None at 0."""
    if not _check_scale(scale):
        return lambda _: None

    def regularize(weights):
        with _v1.name_scope(scope, default_name, [weights]) as name:
            my_scale = _v1.convert_to_tensor(scale, dtype=weights.dtype.base_dtype,
                                             name="scale")
            return _v1.multiply(my_scale, penalty(weights), name=name)

    return _guarded(regularize)


def l1_regularizer(scale, scope=None):
    """TF1 ``tf.contrib.layers.l1_regularizer``: ``scale * sum(|w|)``; None at scale 0."""
    return _regularizer(scale, scope, "l1_regularizer",
                        lambda w: _v1.reduce_sum(_v1.abs(w)))


def l2_regularizer(scale, scope=None):
    """TF1 ``tf.contrib.layers.l2_regularizer``: ``scale * sum(w ** 2) / 2``."""
    return _regularizer(scale, scope, "l2_regularizer", _v1.nn.l2_loss)


def apply_regularization(regularizer, weights_list=None):
    """Sums `regularizer` over `weights_list` (default: the WEIGHTS collection) and adds
    the sum to REGULARIZATION_LOSSES, as TF1 did."""
    if not weights_list:
        weights_list = _v1.get_collection(_v1.GraphKeys.WEIGHTS)
    if not weights_list:
        raise ValueError("No weights to regularize.")
    with _v1.name_scope("get_regularization_penalty", values=weights_list) as scope:
        penalties = [regularizer(w) for w in weights_list]
        penalties = [p if p is not None else _v1.constant(0.0) for p in penalties]
        for p in penalties:
            if p.get_shape().ndims != 0:
                raise ValueError(f"regularizer must return a scalar Tensor instead of a "
                                 f"Tensor with rank {p.get_shape().ndims}.")
        summed = _v1.add_n(penalties, name=scope)
        _v1.add_to_collection(_v1.GraphKeys.REGULARIZATION_LOSSES, summed)
        return summed


def _add_to(collections, var, *defaults):
    for key in list(defaults) + list(collections or []):
        if var not in _v1.get_collection(key):
            _v1.add_to_collection(key, var)


def _variable_collections(collections, name):
    """TF1 layers' `variables_collections`: a list for every variable, or a dict by
    variable kind ('weights', 'biases')."""
    if isinstance(collections, dict):
        return collections.get(name) or []
    return collections or []


def _collect_outputs(collections, alias, outputs):
    """TF1 layers' `outputs_collections`: the output, aliased by its scope's name."""
    if collections:
        alias = alias[:-1] if alias.endswith("/") else alias
        outputs.aliases = [*getattr(outputs, "aliases", []), alias]
        _v1.add_to_collections(collections, outputs)
    return outputs


def _layer_weight(name, kind, regularizer, scope, **kwargs):
    """A TF1 layer's variable: `regularizer`'s loss only when the variable is created,
    built where TF 1.15's Dense layer built it (``<scope>/kernel/Regularizer/...``;
    TF2's get_variable would build it twice, under ``<scope>/weights/...``)."""
    store = _variable_scope._get_default_variable_store()
    full_name = f"{_v1.get_variable_scope().name}/{name}".lstrip("/")
    existed = full_name in getattr(store, "_vars", {})
    variable = _v1.get_variable(name, **kwargs)
    if regularizer is not None and not existed:
        with _v1.name_scope(f"{scope}{kind}/Regularizer/"):
            loss = regularizer(variable)
        if loss is not None:
            _v1.add_to_collection(_v1.GraphKeys.REGULARIZATION_LOSSES, loss)
    return variable


def fully_connected(inputs, num_outputs, activation_fn=_tf.nn.relu, normalizer_fn=None,
                    normalizer_params=None, weights_initializer=None,
                    weights_regularizer=None, biases_initializer=_v1.zeros_initializer(),
                    biases_regularizer=None, reuse=None, variables_collections=None,
                    outputs_collections=None, trainable=True, scope=None):
    """TF1 ``tf.contrib.layers.fully_connected``: variables ``<scope>/weights`` and
    ``<scope>/biases`` (scope default ``fully_connected``), ReLU by default."""
    if not isinstance(num_outputs, numbers.Integral) or isinstance(num_outputs, bool):
        raise ValueError(f"num_outputs type should be one of (int, long), got "
                         f"{type(num_outputs)}.")
    if weights_initializer is None:
        weights_initializer = xavier_initializer()
    with _v1.variable_scope(scope, "fully_connected", [inputs], reuse=reuse) as sc:
        inputs = _v1.convert_to_tensor(inputs)
        in_dim = inputs.get_shape().with_rank_at_least(2)[-1]
        if in_dim is None or getattr(in_dim, "value", in_dim) is None:
            raise ValueError("The last dimension of the inputs to `fully_connected` "
                             "should be defined. Found `None`.")
        in_dim = int(in_dim)
        dtype = inputs.dtype.base_dtype
        weights = _layer_weight("weights", "kernel", weights_regularizer,
                                sc.original_name_scope, shape=[in_dim, num_outputs],
                                dtype=dtype, initializer=weights_initializer,
                                trainable=trainable)
        _add_to(_variable_collections(variables_collections, "weights"), weights,
                _v1.GraphKeys.MODEL_VARIABLES)
        rank = inputs.get_shape().ndims
        if rank is not None and rank > 2:
            outputs = _v1.tensordot(inputs, weights, [[rank - 1], [0]])
        else:
            outputs = _v1.matmul(inputs, weights)
        if normalizer_fn is not None:
            outputs = normalizer_fn(outputs, **(normalizer_params or {}))
        elif biases_initializer is not None:
            biases = _layer_weight("biases", "bias", biases_regularizer,
                                   sc.original_name_scope, shape=[num_outputs], dtype=dtype,
                                   initializer=biases_initializer, trainable=trainable)
            _add_to(_variable_collections(variables_collections, "biases"), biases,
                    _v1.GraphKeys.MODEL_VARIABLES)
            outputs = _v1.nn.bias_add(outputs, biases)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return _collect_outputs(outputs_collections, sc.name, outputs)


def embed_sequence(ids, vocab_size=None, embed_dim=None, unique=False, initializer=None,
                   regularizer=None, trainable=True, scope=None, reuse=None):
    """TF1 ``tf.contrib.layers.embed_sequence``: ``<scope>/embeddings`` [vocab, dim]
    (scope default ``EmbedSequence``) looked up for `ids`."""
    if not (reuse or (vocab_size and embed_dim)):
        raise ValueError("Must specify vocab size and embedding dimension when not "
                         "reusing. Got vocab_size=%s and embed_dim=%s" % (vocab_size, embed_dim))
    with _v1.variable_scope(scope, "EmbedSequence", [ids], reuse=reuse):
        shape = [vocab_size, embed_dim]
        if reuse and (vocab_size is None or embed_dim is None):
            shape = None
        embeddings = _v1.get_variable("embeddings", shape=shape, initializer=initializer,
                                      regularizer=regularizer, trainable=trainable)
        _add_to(None, embeddings, _v1.GraphKeys.MODEL_VARIABLES)
        if unique:
            flat = _v1.reshape(ids, [-1])
            uniq, idx = _v1.unique(flat)
            looked = _v1.nn.embedding_lookup(embeddings, uniq)
            out = _v1.gather(looked, idx)
            return _v1.reshape(out, _v1.concat([_v1.shape(ids), [-1]], 0))
        return _v1.nn.embedding_lookup(embeddings, ids)
