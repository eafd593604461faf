"""``tf.contrib`` for TF1 code: the pieces recommender code leaned on, with TF1's names
and values, and a clear error (naming the TF2 replacement) for everything else.

Covered: ``contrib.layers`` (xavier_initializer, variance_scaling_initializer,
l1_regularizer, l2_regularizer, apply_regularization, fully_connected,
embed_sequence), ``contrib.lookup`` (index_table_from_tensor,
index_table_from_file, index_to_string_table_from_tensor,
index_to_string_table_from_file, HashTable, KeyValueTensorInitializer),
``contrib.rnn`` (the TF1 cells and wrappers, static_rnn, static_bidirectional_rnn, and
the fused LSTMBlockCell / LSTMBlockFusedCell of :mod:`compat.tf1.contrib.rnn`),
``contrib.framework`` (get_or_create_global_step, get_global_step, ...),
``contrib.training.HParams`` (:mod:`compat.tf1.contrib.training`), ``contrib.opt``'s
LazyAdamOptimizer / AdamWOptimizer / MomentumWOptimizer (:mod:`compat.tf1.contrib.opt`),
``contrib.data`` (the transformations TF kept in tf.data.experimental, plus
batch_and_drop_remainder, padded_batch_and_drop_remainder, sliding_window_batch,
sloppy_interleave), ``contrib.stateless`` (TF 1.15's stateless random ops) and
``contrib.util`` (constant_value, make_tensor_proto, make_ndarray) and ``contrib.crf``
(:mod:`compat.tf1.contrib.crf`), ``contrib.seq2seq``'s sequence_loss, BasicDecoder,
dynamic_decode, helpers, attention and beam search (:mod:`compat.tf1.contrib.seq2seq`).

One module per TF1 contrib module: :mod:`.layers`, :mod:`.data`, :mod:`.stateless`,
:mod:`.framework`, :mod:`.rnn`, :mod:`.opt`, :mod:`.crf`, :mod:`.training`, :mod:`.seq2seq`;
this package builds the ``tf.contrib`` namespace from them. The initializers and layers
are written after TF 1.15's documented
behaviour (the same random ops with the same arguments, so seeded values match
TF1's); the lookup tables are TensorFlow's own TF1 implementations, still in
TF 2.21; the RNN cells are tf-keras's TF1 implementations (see :mod:`compat.tf1.restored`).
"""

import types

import tensorflow as _tf
from tensorflow.python.framework import tensor_util as _tensor_util
from tensorflow.python.ops import lookup_ops as _lookup_ops

from compat.tf1.errors import RemovedAPIError

from compat.tf1.contrib.data import (batch_and_drop_remainder, padded_batch_and_drop_remainder,
                                     sliding_window_batch, sloppy_interleave)
from compat.tf1.contrib import framework as contrib_framework
from compat.tf1.contrib.layers import (apply_regularization, embed_sequence, fully_connected,
                                       l1_regularizer, l2_regularizer, variance_scaling_initializer,
                                       xavier_initializer)
from compat.tf1.contrib.stateless import (stateless_multinomial, stateless_random_normal,
                                          stateless_random_uniform, stateless_truncated_normal)


__all__ = ["ContribModule", "RemovedAPIError", "namespace"]


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


_DATA_FROM_TF = (
    "Counter", "CsvDataset", "RandomDataset", "Reducer", "SqlDataset", "TFRecordWriter",
    "bucket_by_sequence_length", "choose_from_datasets", "copy_to_device",
    "dense_to_sparse_batch", "enumerate_dataset", "get_next_as_optional",
    "get_single_element", "group_by_reducer", "group_by_window", "ignore_errors",
    "make_batched_features_dataset", "make_csv_dataset", "make_saveable_from_iterator",
    "map_and_batch", "parallel_interleave", "prefetch_to_device", "rejection_resample",
    "sample_from_datasets", "scan", "shuffle_and_repeat", "unbatch", "unique", "Optional")


def defun(func=None, input_signature=None, autograph=False,
          experimental_autograph_options=None, **unused_kwargs):
    """TF1's ``tf.contrib.eager.defun``: `func` traced into a graph function (no
    autograph, as in TF 1.x), called inside TF1's default graph, so that a function
    called from TF1 graph code is traced with that graph as its outer graph (TF1's
    ``init_scope`` and ``get_default_graph`` there name the caller's graph)."""
    from compat.tf1 import guard

    def decorate(fn):
        return guard.guard_callable(
            _tf.function(fn, input_signature=input_signature, autograph=autograph,
                         experimental_autograph_options=experimental_autograph_options),
            wrap_result=False)

    return decorate if func is None else decorate(func)


# TF 1.15's module paths of contrib.seq2seq (tensorflow.contrib.seq2seq.python.ops.<module>,
# which TF1 libraries imported for base classes and private helpers): the names each of
# those modules defined that compat covers (private ones: their TF 1.15 behaviour).
SEQ2SEQ_MODULES = {
    "decoder": ("Decoder", "dynamic_decode", "_transpose_batch_time"),
    "basic_decoder": ("BasicDecoder", "BasicDecoderOutput"),
    "helper": ("Helper", "TrainingHelper", "GreedyEmbeddingHelper", "SampleEmbeddingHelper",
               "CustomHelper", "InferenceHelper", "ScheduledEmbeddingTrainingHelper",
               "ScheduledOutputTrainingHelper"),
    "attention_wrapper": ("AttentionMechanism", "LuongAttention", "BahdanauAttention",
                          "BahdanauMonotonicAttention", "LuongMonotonicAttention",
                          "AttentionWrapper", "AttentionWrapperState", "hardmax",
                          "monotonic_attention", "safe_cumprod"),
    "beam_search_decoder": ("BeamSearchDecoder", "BeamSearchDecoderState",
                            "BeamSearchDecoderOutput", "FinalBeamSearchDecoderOutput",
                            "tile_batch", "gather_tree"),
    "beam_search_ops": ("gather_tree",),
    "loss": ("sequence_loss",),
}


def seq2seq_python(public, private):
    """``contrib.seq2seq.python`` (TF 1.15's ``tensorflow.contrib.seq2seq.python.ops.*``
    modules) from `public` (the shim's contrib.seq2seq namespace) and `private` (returns
    a namespace over the shim's helpers, for the private names)."""
    def factory(name):  # resolved on first use, as contrib.seq2seq's own names are
        return lambda: getattr(private() if name.startswith("_") else public, name)

    modules = {module: ContribModule(f"contrib.seq2seq.python.ops.{module}", {},
                                     lazy={name: factory(name) for name in names})
               for module, names in SEQ2SEQ_MODULES.items()}
    ops = ContribModule("contrib.seq2seq.python.ops", modules)
    return ContribModule("contrib.seq2seq.python", {"ops": ops})


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
                       static_state_saving_rnn=_v1.nn.static_state_saving_rnn,
                       stack_bidirectional_rnn=contrib_rnn.stack_bidirectional_rnn,
                       stack_bidirectional_dynamic_rnn=(
                           contrib_rnn.stack_bidirectional_dynamic_rnn))
    rnn = ContribModule("contrib.rnn", rnn_symbols)
    framework = ContribModule("contrib.framework", contrib_framework.symbols())
    # filled from tf-slim (contrib.metrics' streaming metrics, contrib.losses)
    metrics = ContribModule("contrib.metrics", {})
    losses = ContribModule("contrib.losses", {})
    from compat.tf1.contrib import crf as contrib_crf
    from compat.tf1.contrib import opt as contrib_opt
    from compat.tf1.contrib import seq2seq as contrib_seq2seq
    from compat.tf1.contrib.seq2seq.attention import attention_classes
    from compat.tf1.contrib import training as hparam

    seq2seq_symbols = {name: getattr(contrib_seq2seq, name)
                       for name in contrib_seq2seq.__all__}
    seq2seq_symbols.update(attention_classes(legacy_rnn_cell.RNNCell,
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
    # tf.contrib.eager / tensorflow.contrib.eager.python.tfe: TF1's graph-function
    # decorator (defun is tf.function's TF1 ancestor) and the eager-mode queries
    tfe_symbols = {
        "defun": defun, "function": _tf.function,
        "executing_eagerly": _v1.executing_eagerly, "in_eager_mode": _v1.executing_eagerly,
        "Variable": _v1.Variable, "py_func": _v1.py_func,
    }
    tfe = ContribModule("contrib.eager.python.tfe", tfe_symbols)
    eager = ContribModule("contrib.eager", dict(
        tfe_symbols, python=ContribModule("contrib.eager.python", {"tfe": tfe})))
    return {"eager": eager, "tpu": tpu, "layers": layers, "lookup": lookup, "rnn": rnn,
            "framework": framework,
            "metrics": metrics, "losses": losses, "training": training, "opt": opt,
            "data": data, "stateless": stateless, "util": util, "crf": crf, "seq2seq": seq2seq}
