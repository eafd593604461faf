"""``tf.contrib`` for TF1 code: the pieces recommender code leaned on, with TF1's names
and values, and a clear error (naming the TF2 replacement) for everything else.

Covered: ``contrib.layers`` (xavier_initializer, variance_scaling_initializer,
l1_regularizer, l2_regularizer, apply_regularization, fully_connected,
embed_sequence), ``contrib.lookup`` (index_table_from_tensor,
index_table_from_file, index_to_string_table_from_tensor,
index_to_string_table_from_file, HashTable, KeyValueTensorInitializer),
``contrib.rnn`` (the TF1 cells and wrappers, static_rnn, static_bidirectional_rnn, and
the fused LSTMBlockCell / LSTMBlockFusedCell of :mod:`compat.contrib_rnn`),
``contrib.framework`` (get_or_create_global_step, get_global_step, ...),
``contrib.training.HParams`` (:mod:`compat.hparam`), ``contrib.opt``'s
LazyAdamOptimizer / AdamWOptimizer / MomentumWOptimizer (:mod:`compat.contrib_opt`),
``contrib.data`` (the transformations TF kept in tf.data.experimental, plus
batch_and_drop_remainder, padded_batch_and_drop_remainder, sliding_window_batch,
sloppy_interleave), ``contrib.stateless`` (TF 1.15's stateless random ops) and
``contrib.util`` (constant_value, make_tensor_proto, make_ndarray) and ``contrib.crf``
(:mod:`compat.contrib_crf`), ``contrib.seq2seq``'s sequence_loss, BasicDecoder,
dynamic_decode, helpers, attention and beam search (:mod:`compat.contrib_seq2seq`).

The initializers and layers are written here after TF 1.15's documented
behaviour (the same random ops with the same arguments, so seeded values match
TF1's); the lookup tables are TensorFlow's own TF1 implementations, still in
TF 2.21; the RNN cells are tf-keras's TF1 implementations (see :mod:`compat.tf1.restored`).
"""

import math
import numbers
import types

import tensorflow as _tf
from tensorflow.python.framework import tensor_util as _tensor_util
from tensorflow.python.ops import gen_stateless_random_ops as _stateless_ops
from tensorflow.python.ops import lookup_ops as _lookup_ops
from tensorflow.python.ops import variable_scope as _variable_scope

from compat.tf1.errors import RemovedAPIError
from compat.tf1.guard import guard_callable as _guarded

__all__ = ["RemovedAPIError", "namespace"]

_v1 = _tf.compat.v1


# Where each removed piece went (module or symbol -> replacement).
REPLACEMENTS = {
    "slim": "the tf-slim package (`pip install tf-slim`: compat then serves it as "
            "tf.contrib.slim)",
    "learn": "tf.keras (or tf.estimator on TensorFlow <= 2.15)",
    "estimator": "tf.keras (tf.estimator was removed in TensorFlow 2.16)",
    "metrics": "tf.compat.v1.metrics (streaming metrics) or tf.keras.metrics",
    "losses": "tf.compat.v1.losses or tf.keras.losses",
    "seq2seq": "tensorflow-addons' tfa.seq2seq (unmaintained) or keras-nlp (compat covers "
               "TF 1.15's contrib.seq2seq: sequence_loss, BasicDecoder, dynamic_decode, the "
               "helpers, LuongAttention, BahdanauAttention and their monotonic forms, "
               "AttentionWrapper, BeamSearchDecoder, gather_tree, tile_batch)",
    "crf": "tensorflow-addons' tfa.text (unmaintained); compat covers crf_log_likelihood, "
           "crf_decode, viterbi_decode and the scores",
    "distributions": "tensorflow-probability (tfp.distributions)",
    "bayesflow": "tensorflow-probability",
    "opt": "tf.keras.optimizers or tensorflow-addons' tfa.optimizers (compat covers "
           "LazyAdamOptimizer, AdamWOptimizer, MomentumWOptimizer)",
    "data": "tf.data / tf.data.experimental",
    "summary": "tf.summary (or tf.compat.v1.summary for TF1 summaries)",
    "tpu": "tf.distribute.TPUStrategy",
    "distribute": "tf.distribute",
    "cudnn_rnn": "tf.keras.layers.LSTM / GRU (cuDNN kernels are chosen automatically)",
    "keras": "tf.keras",
    "nn": "tf.nn",
    "image": "tf.image (or tensorflow-addons' tfa.image)",
    "training": "tf.train / tf.data (tf.contrib.training.HParams is covered)",
    "factorization": "tf.compat.v1.train / custom code (no TF2 replacement)",
    "quantize": "tensorflow-model-optimization (tfmot.quantization)",
    "graph_editor": "no TF2 replacement (build the graph you need directly)",
    "predictor": "tf.saved_model.load",
    "tensorboard": "tf.summary / TensorBoard",
    "layers.batch_norm": "tf.layers.batch_normalization (compat.v1) or "
                         "tf.keras.layers.BatchNormalization",
    "layers.conv2d": "tf.layers.conv2d (compat.v1) or tf.keras.layers.Conv2D",
    "layers.dropout": "tf.layers.dropout (compat.v1) or tf.keras.layers.Dropout",
    "layers.flatten": "tf.layers.flatten (compat.v1) or tf.keras.layers.Flatten",
    "layers.max_pool2d": "tf.layers.max_pooling2d (compat.v1) or tf.keras.layers.MaxPool2D",
    "layers.layer_norm": "tf.keras.layers.LayerNormalization",
    "layers.optimize_loss": "an optimizer's minimize() (tf.compat.v1.train) ",
    "layers.sparse_column_with_hash_bucket": "tf.feature_column / tf.keras preprocessing",
    "layers.real_valued_column": "tf.feature_column.numeric_column",
    "layers.embedding_column": "tf.feature_column.embedding_column",
    "layers.summarize_activations": "tf.compat.v1.summary.histogram",
    "framework.arg_scope": "tf.contrib.slim.arg_scope (with tf-slim installed)",
    "framework.get_variables": "tf.compat.v1.get_collection(GLOBAL_VARIABLES, scope)",
    "framework.get_variables_to_restore": "tf_slim.get_variables_to_restore",
    "framework.assign_from_checkpoint_fn": "tf.compat.v1.train.Saver(...).restore",
    "framework.model_variable": "tf.compat.v1.get_variable with "
                                "collections=[GLOBAL_VARIABLES, MODEL_VARIABLES]",
    "rnn.LayerNormBasicLSTMCell": "tensorflow-addons' tfa.rnn.LayerNormLSTMCell",
    "rnn.AttentionCellWrapper": "tf.keras.layers.Attention",
    "rnn.stack_bidirectional_dynamic_rnn": "tf.compat.v1.nn.bidirectional_dynamic_rnn "
                                           "applied layer by layer",
    "lookup.string_to_index_table_from_tensor": "contrib.lookup.index_table_from_tensor",
    "lookup.MutableHashTable": "tf.lookup.experimental.MutableHashTable",
}


# The tf.contrib pieces TF 1.15 moved to the tf-slim package (served from it when it
# is installed, see ContribModule's `fallback`).
SLIM_PARTS = ("layers", "framework", "metrics", "losses")
_SLIM_HINT = ("TF 1.15's contrib.layers, contrib.framework, contrib.metrics and "
              "contrib.losses live on in the tf-slim package, which compat serves as "
              "tf.contrib when it is installed: pip install 'compat-tf1[slim]'")


def _removed(path, slim_missing=False):
    leaf = path.split(".", 1)[1] if "." in path else path
    hint = REPLACEMENTS.get(leaf) or REPLACEMENTS.get(leaf.split(".")[0])
    message = f"tf.{path} was removed with tf.contrib in TensorFlow 2 and is not covered " \
              "by compat"
    if slim_missing:
        message += f" without tf-slim ({_SLIM_HINT})"
    if hint:
        message += f"; use {hint} instead"
    message += ". Covered tf.contrib pieces: see `compat api-table`."
    return RemovedAPIError(message)


class ContribModule(types.ModuleType):
    """A ``tf.contrib`` namespace: covered symbols, else :class:`RemovedAPIError`.

    `lazy` maps names to factories run on first access (None: not covered).
    `fallback` serves names from elsewhere (the tf-slim package): an object with
    ``available()`` (False when its package is not installed), ``lookup(name)`` (the
    value, or None) and ``names()``; when its ``preferred`` is true it also serves the
    names it shares with `symbols` (TF 1.15's own objects: ``arg_scope`` knows them),
    and `symbols` serve only without it.
    """

    def __init__(self, path, symbols, doc=None, lazy=None, fallback=None):
        super().__init__(f"compat.v1.{path}", doc)
        self.__dict__["_path"] = path
        self.__dict__["_lazy"] = dict(lazy or {})  # name -> factory (None: not covered)
        self.__dict__["_fallback"] = fallback
        if getattr(fallback, "preferred", False):
            self.__dict__["_own"] = dict(symbols)
        else:
            self.__dict__["_own"] = {}
            self.__dict__.update(symbols)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        path = f"{self.__dict__['_path']}.{name}"
        factory = self.__dict__["_lazy"].get(name)
        if factory is not None:
            value = factory()
            if value is not None:
                self.__dict__[name] = value
                return value
        fallback = self.__dict__["_fallback"]
        installed = fallback is not None and fallback.available()
        value = fallback.lookup(name) if installed else None
        if value is None:
            value = self.__dict__["_own"].get(name)
        if value is not None:
            self.__dict__[name] = value
            return value
        raise _removed(path, slim_missing=fallback is not None and not installed)

    def __dir__(self):
        names = set(k for k in self.__dict__ if not k.startswith("_"))
        names.update(self.__dict__["_own"])
        fallback = self.__dict__["_fallback"]
        if fallback is not None and fallback.available():
            names.update(fallback.names())
        return sorted(names | set(self.__dict__["_lazy"]))

    def __repr__(self):
        return f"<compat namespace 'tf.{self.__dict__['_path']}'>"


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


def _get_name_scope():
    """TF1 ``tf.contrib.framework.get_name_scope``: the default graph's current name
    scope."""
    return _v1.get_default_graph().get_name_scope()


# --- contrib.data ------------------------------------------------------------------
def batch_and_drop_remainder(batch_size):
    """TF1 ``tf.contrib.data.batch_and_drop_remainder``: a transformation for
    ``Dataset.apply`` batching `batch_size` elements, without the last partial batch."""
    return lambda dataset: dataset.batch(batch_size, drop_remainder=True)


def padded_batch_and_drop_remainder(batch_size, padded_shapes, padding_values=None):
    """TF1 ``tf.contrib.data.padded_batch_and_drop_remainder`` (``Dataset.apply``)."""
    return lambda dataset: dataset.padded_batch(batch_size, padded_shapes, padding_values,
                                                drop_remainder=True)


def sliding_window_batch(window_size, stride=None, window_shift=None, window_stride=1):
    """TF1 ``tf.contrib.data.sliding_window_batch`` (``Dataset.apply``): batches of
    `window_size` elements, `window_stride` apart, the window moving by `window_shift`
    (or its older name `stride`; default 1) elements; incomplete windows are dropped."""
    if stride is not None and window_shift is not None:
        raise ValueError("Cannot specify both `stride` and `window_shift` (stride is the "
                         "deprecated name of window_shift)")
    shift = stride if stride is not None else window_shift if window_shift is not None else 1

    def batch_window(*window):
        window = window[0] if len(window) == 1 else window
        if not isinstance(window, _tf.data.Dataset):
            window = _tf.data.Dataset.zip(window)
        return window.batch(window_size, drop_remainder=True)

    return lambda dataset: dataset.window(window_size, shift, window_stride,
                                          drop_remainder=True).flat_map(batch_window)


def sloppy_interleave(map_func, cycle_length, block_length=1):
    """TF1 ``tf.contrib.data.sloppy_interleave``: ``parallel_interleave`` with
    ``sloppy=True`` (elements in the order they are ready)."""
    return _v1.data.experimental.parallel_interleave(map_func, cycle_length, block_length,
                                                      sloppy=True)


_DATA_FROM_TF = (
    "Counter", "CsvDataset", "RandomDataset", "Reducer", "SqlDataset", "TFRecordWriter",
    "bucket_by_sequence_length", "choose_from_datasets", "copy_to_device",
    "dense_to_sparse_batch", "enumerate_dataset", "get_next_as_optional",
    "get_single_element", "group_by_reducer", "group_by_window", "ignore_errors",
    "make_batched_features_dataset", "make_csv_dataset", "make_saveable_from_iterator",
    "map_and_batch", "parallel_interleave", "prefetch_to_device", "rejection_resample",
    "sample_from_datasets", "scan", "shuffle_and_repeat", "unbatch", "unique", "Optional")


# --- contrib.stateless: TF 1.15's ops (the V1 kernels, so TF1's numbers) ---------------
def stateless_random_uniform(shape, seed, dtype=_tf.float32, name=None):
    """Uniform [0, 1) values determined by `shape` and the int32/int64 pair `seed`."""
    return _stateless_ops.stateless_random_uniform(shape, seed, dtype=dtype, name=name)


def stateless_random_normal(shape, seed, dtype=_tf.float32, name=None):
    """Standard normal values determined by `shape` and `seed`."""
    return _stateless_ops.stateless_random_normal(shape, seed, dtype=dtype, name=name)


def stateless_truncated_normal(shape, seed, dtype=_tf.float32, name=None):
    """Normal values within two standard deviations, determined by `shape` and
    `seed`."""
    return _stateless_ops.stateless_truncated_normal(shape, seed, dtype=dtype, name=name)


def stateless_multinomial(logits, num_samples, seed, output_dtype=_tf.int64, name=None):
    """Samples from the categorical distributions `logits` [batch, classes],
    determined by `seed`."""
    return _stateless_ops.stateless_multinomial(logits, num_samples, seed,
                                                output_dtype=output_dtype, name=name)


def namespace(legacy_rnn_cell, legacy_layer, legacy_dense):
    """Builds ``tf.contrib`` (guard-free functions; the caller wraps them) from
    tf-keras's TF1 cells module and TF1 ``tf.layers.Layer`` and ``Dense`` classes."""
    layers = ContribModule("contrib.layers", {
        "xavier_initializer": xavier_initializer,
        "xavier_initializer_conv2d": xavier_initializer,
        "variance_scaling_initializer": variance_scaling_initializer,
        "l1_regularizer": l1_regularizer,
        "l2_regularizer": l2_regularizer,
        "apply_regularization": apply_regularization,
        "fully_connected": fully_connected,
        "embed_sequence": embed_sequence,
    })
    lookup = ContribModule("contrib.lookup", {
        "index_table_from_tensor": _lookup_ops.index_table_from_tensor,
        "index_table_from_file": _lookup_ops.index_table_from_file,
        "index_to_string_table_from_tensor": _lookup_ops.index_to_string_table_from_tensor,
        "index_to_string_table_from_file": _lookup_ops.index_to_string_table_from_file,
        "HashTable": _lookup_ops.HashTable,
        "KeyValueTensorInitializer": _lookup_ops.KeyValueTensorInitializer,
        "TextFileInitializer": _lookup_ops.TextFileInitializer,
    })
    rnn_symbols = {name: getattr(legacy_rnn_cell, name) for name in (
        "RNNCell", "BasicRNNCell", "BasicLSTMCell", "LSTMCell", "GRUCell", "MultiRNNCell",
        "DropoutWrapper", "ResidualWrapper", "DeviceWrapper", "LSTMStateTuple")}
    from compat.tf1.contrib import rnn as contrib_rnn

    rnn_symbols["LSTMBlockCell"], rnn_symbols["LSTMBlockFusedCell"] = \
        contrib_rnn.block_cells(legacy_rnn_cell, legacy_layer)
    rnn_symbols.update(static_rnn=_v1.nn.static_rnn,
                       static_bidirectional_rnn=_v1.nn.static_bidirectional_rnn,
                       static_state_saving_rnn=_v1.nn.static_state_saving_rnn)
    rnn = ContribModule("contrib.rnn", rnn_symbols)
    framework = ContribModule("contrib.framework", {
        "get_or_create_global_step": _v1.train.get_or_create_global_step,
        "get_global_step": _v1.train.get_global_step,
        # TF1 contrib.framework names that TensorFlow itself kept elsewhere
        "list_variables": _v1.train.list_variables,
        "load_variable": _v1.train.load_variable,
        "init_from_checkpoint": _v1.train.init_from_checkpoint,
        "get_name_scope": _get_name_scope,
        "is_tensor": _v1.is_tensor,
        "nest": _tf.nest,
        "sort": _v1.sort,
        "argsort": _v1.argsort,
    })
    # filled from tf-slim (contrib.metrics' streaming metrics, contrib.losses)
    metrics = ContribModule("contrib.metrics", {})
    losses = ContribModule("contrib.losses", {})
    from compat.tf1.contrib import crf as contrib_crf
    from compat.tf1.contrib import opt as contrib_opt
    from compat.tf1.contrib import seq2seq as contrib_seq2seq
    from compat.tf1.contrib import training as hparam

    seq2seq_symbols = {name: getattr(contrib_seq2seq, name)
                       for name in contrib_seq2seq.__all__}
    seq2seq_symbols.update(contrib_seq2seq.attention_classes(legacy_rnn_cell.RNNCell,
                                                             legacy_dense))
    seq2seq = ContribModule("contrib.seq2seq", seq2seq_symbols)

    crf = ContribModule("contrib.crf", {name: getattr(contrib_crf, name)
                                        for name in contrib_crf.__all__})

    training = ContribModule("contrib.training", {"HParams": hparam.HParams})
    opt = ContribModule("contrib.opt", {name: getattr(contrib_opt, name)
                                        for name in contrib_opt.__all__})
    data_symbols = {name: getattr(_v1.data.experimental, name) for name in _DATA_FROM_TF}
    data_symbols.update(
        batch_and_drop_remainder=batch_and_drop_remainder,
        padded_batch_and_drop_remainder=padded_batch_and_drop_remainder,
        sliding_window_batch=sliding_window_batch, sloppy_interleave=sloppy_interleave)
    data = ContribModule("contrib.data", data_symbols)
    stateless = ContribModule("contrib.stateless", {
        "stateless_random_uniform": stateless_random_uniform,
        "stateless_random_normal": stateless_random_normal,
        "stateless_truncated_normal": stateless_truncated_normal,
        "stateless_multinomial": stateless_multinomial,
    })
    util = ContribModule("contrib.util", {
        "constant_value": _tensor_util.constant_value,
        "make_tensor_proto": _tensor_util.make_tensor_proto,
        "make_ndarray": _tensor_util.MakeNdarray,
    })
    from compat.tf1 import estimator

    tpu = ContribModule("contrib.tpu", {
        "TPUEstimator": estimator.TPUEstimator,
        "TPUEstimatorSpec": estimator.TPUEstimatorSpec,
        "RunConfig": estimator.TPURunConfig,
        "TPUConfig": estimator.TPUConfig,
        "InputPipelineConfig": estimator.InputPipelineConfig,
    })
    return {"tpu": tpu, "layers": layers, "lookup": lookup, "rnn": rnn, "framework": framework,
            "metrics": metrics, "losses": losses, "training": training, "opt": opt,
            "data": data, "stateless": stateless, "util": util, "crf": crf, "seq2seq": seq2seq}
