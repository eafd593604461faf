"""The supported-API table: which TF1 symbols the shim covers, per backend.

One declarative table drives the docs' API page (``docs/api.md``, rendered by the
mkdocs hook in ``docs/hooks.py``), ``compat api-table`` and the tests (each row is
resolved through ``compat.v1`` by ``tests/tf1/test_api_table.py``).

Support levels: ``native`` (TF's own implementation, unchanged),
``shim`` (the shim's implementation), ``rewritten`` (works, executed by the
shim's TF2 functions), ``differs`` (works with a documented difference),
``no-op`` (accepted, does nothing: process-wide switches), ``unsupported``
(raises a clear error naming the way out).
"""

import collections

__all__ = ["Entry", "ENTRIES", "markdown", "symbols"]

Entry = collections.namedtuple("Entry", ["symbol", "graph", "eager", "notes"])

_E = Entry
ENTRIES = (
    _E("Session", "shim", "shim", "TF1 fetch/feed/lifecycle/error semantics on both runtimes "
       "(a kernel error has the graph's op, node_def and the Session's message); "
       "the eager backend copies a fed array that reaches state (a v1 Session may share "
       "an aligned array's memory, e.g. with a variable assigned from the feed)"),
    _E("InteractiveSession", "shim", "shim",
       "installs itself as default session; does not put the thread in graph mode"),
    _E("Graph / get_default_graph / reset_default_graph", "native", "native",
       "module-level building lands in TF1's default graph without global graph mode"),
    _E("placeholder / placeholder_with_default / sparse_placeholder", "native", "rewritten",
       "fed tensors become function arguments; unfed placeholders raise InvalidArgumentError"),
    _E("Variable / get_variable / variable_scope / get_local_variable", "native", "rewritten",
       "eager backend: one eager tf.Variable per graph variable per session; "
       "validate_shape=False gives TF1's unknown shape (an unvalidated assign may "
       "reshape it); TF1's ref variables (use_resource=False, graphs built by TF 1.x) run "
       "on eager as the session's own resource variables (ref ops in their resource "
       "forms, reads ordered as TF1's aliasing ordered them: per-session values, "
       "bit-identical training; a ref input with no resource form, e.g. RefIdentity, "
       "raises UnimplementedError naming the op)"),
    _E("Variable.assign / Variable.assign_add / Variable.assign_sub / Variable.scatter_add / "
       "Variable.count_up_to / Variable.initialized_value / Variable.to_proto / "
       "Variable.from_proto / Variable.load / Variable.eval", "shim", "shim",
       "every public method of a graph variable or tensor (and functions TF attaches to "
       "what they return, e.g. v[1:3].assign) builds in its graph when called at a "
       "script's top level, as in TF1; resource variables get TF1's initialized_value(), "
       "in-place operators (v += x builds v + x), isinstance(v, tf.Variable) and "
       "from_proto of their own kind"),
    _E("enable_resource_variables / disable_resource_variables / "
       "resource_variables_enabled", "shim", "shim",
       "honoured for the graphs TF1 code builds (TF2 code keeps TensorFlow's default): "
       "default resource variables; after disable_resource_variables() ref variables "
       "(VariableV2), as TF 1.x built them"),
    _E("Session.run", "shim", "shim",
       "feed_dict={variable: value} has TF 1.x's meaning for variables created without "
       "use_resource: the fed value is "
       "the variable's value for every read in that run; an op using the variable "
       "itself raises naming the op (InvalidArgumentError for an update, "
       "UnimplementedError for a gather: use_resource=False feeds those too)"),
    _E("global_variables_initializer / variables_initializer / report_uninitialized_variables",
       "native", "rewritten", "uninitialized reads raise FailedPreconditionError"),
    _E("Tensor.eval / Operation.run / get_default_session", "native", "shim",
       "go through the default compat Session"),
    _E("train.GradientDescentOptimizer / train.AdamOptimizer / train.AdagradOptimizer / "
       "train.MomentumOptimizer / train.RMSPropOptimizer / train.FtrlOptimizer",
       "native", "rewritten", "slots and global step live in session-owned eager variables"),
    _E("train.Saver", "shim", "shim",
       "TF's Saver plus TF1's shape check (InvalidArgumentError, nothing restored), "
       "missing keys listed, corrupt files named (DataLossError), crash-safe re-saves; "
       "checkpoints are interchangeable between backends"),
    _E("train.latest_checkpoint / train.get_checkpoint_state / "
       "train.get_or_create_global_step", "native", "rewritten", ""),
    _E("train.exponential_decay / train.piecewise_constant", "native", "rewritten", ""),
    _E("saved_model.builder.SavedModelBuilder / saved_model.simple_save", "native",
       "rewritten", "exports load with plain TF2 tf.saved_model.load; identical signatures "
       "from both backends; compat.saved_model.export_tf2 writes a native TF2 export"),
    _E("summary.scalar / summary.histogram / summary.merge_all / summary.FileWriter", "native",
       "rewritten", "summaries are fetched bytes"),
    _E("data.Dataset / data.make_one_shot_iterator / data.make_initializable_iterator", "native",
       "rewritten", "iterators are created once per session and shared by all signatures"),
    _E("lookup.StaticHashTable / tables_initializer", "native", "rewritten",
       "tables are created once per session"),
    _E("nn.embedding_lookup / nn.embedding_lookup_sparse / "
       "nn.sigmoid_cross_entropy_with_logits / nn.l2_loss", "native",
       "rewritten", ""),
    _E("losses.mean_squared_error / losses.log_loss / metrics.auc / metrics.mean", "native",
       "rewritten", "metrics use local variables"),
    _E("cond / while_loop / case", "native", "rewritten", ""),
    _E("py_func / numpy_function", "native", "rewritten", ""),
    _E("set_random_seed / random_normal / random_uniform / truncated_normal / "
       "nn.dropout", "native", "rewritten",
       "seeded ops draw the v1 Session's numbers on eager, one stream per op across "
       "signatures (the session keeps each op's Philox position; stateless ops draw at "
       "it). Differs: ops inside tf.data functions or loop bodies, and "
       "random_shuffle / multinomial / random_gamma / random_poisson, keep one stream "
       "per signature; two threads running one op at the same moment may draw the "
       "same numbers"),
    _E("train.MonitoredTrainingSession / train.MonitoredSession / "
       "train.SingularMonitoredSession / train.Supervisor / train.SessionManager / "
       "train.ChiefSessionCreator", "shim", "shim",
       "TF's implementations; the sessions they open (also after a recoverable error) "
       "are the shim's Session, on the backend resolved for the calling module; the "
       "Supervisor's service threads (summaries, steps/sec, timed checkpoints) run in "
       "graph mode on it, as under TF1 (they fail on raw TF 2.21)"),
    _E("Session.partial_run / Session.partial_run_setup", "native", "differs",
       "emulated on eager (same values, errors and run-once semantics); a stateful op's "
       "resource or variant output needed after a later feed, or TF1 (v1) control flow in "
       "the run, raises UnimplementedError"),
    _E("get_session_handle / get_session_tensor / delete_session_tensor", "native",
       "unsupported",
       "tensors kept in a v1 Session's state between runs; on eager a run that needs them "
       "raises UnimplementedError naming the ops and the graph backend"),
    _E("RunOptions / RunMetadata", "native", "no-op", "accepted and ignored on eager"),
    _E("layers.dense / layers.dropout / layers.flatten / layers.batch_normalization / "
       "layers.conv1d / layers.conv2d / layers.max_pooling1d / layers.max_pooling2d / "
       "layers.average_pooling1d / layers.average_pooling2d / layers.Dense / layers.Layer / "
       "layers.BatchNormalization / layers.Conv2D",
       "shim", "shim",
       "TF1 implementations from tf-keras (TF1 names, UPDATE_OPS, numerics); TensorFlow's "
       "own tf.keras (for TF2 code) stays Keras 3"),
    _E("keras.layers.Dense / keras.layers.Embedding / keras.layers.BatchNormalization / "
       "keras.Sequential / keras.regularizers.l2 / keras.backend.floatx", "shim", "shim",
       "TF 1.x's tf.keras was Keras 2: compat.v1.keras is tf-keras's TF1 API through the "
       "guard, so layers and models build on TF1 graph tensors (TF 2.21's Keras 3 rejects "
       "them), with TF1 initializers seeded by the graph seed; its TF1 training loops "
       "(fit / evaluate / predict), K.get_session() and K.function run on compat.Session "
       "on the chosen backend (on eager, a tensor connection's sources run first)"),
    _E("nn.rnn_cell.BasicLSTMCell / nn.rnn_cell.LSTMCell / nn.rnn_cell.GRUCell / "
       "nn.rnn_cell.BasicRNNCell / nn.rnn_cell.MultiRNNCell / nn.rnn_cell.DropoutWrapper / "
       "nn.dynamic_rnn / nn.static_rnn / nn.bidirectional_dynamic_rnn", "shim", "shim",
       "TF1 cells from tf-keras with TF1 variable names"),
    _E("contrib.layers.xavier_initializer / contrib.layers.variance_scaling_initializer / "
       "contrib.layers.l1_regularizer / contrib.layers.l2_regularizer / "
       "contrib.layers.apply_regularization / contrib.layers.fully_connected / "
       "contrib.layers.embed_sequence", "shim", "shim",
       "TF1 names (`fully_connected/weights`, `EmbedSequence/embeddings`) and seeded values; "
       "compat's own versions (no tf-slim needed), tested equal to TF 1.15's code: with "
       "tf-slim installed the shared names are TF 1.15's objects (next row)"),
    _E("contrib.layers.layer_norm / contrib.layers.batch_norm / contrib.layers.conv2d / "
       "contrib.layers.max_pool2d / contrib.layers.flatten / contrib.layers.optimize_loss / "
       "contrib.framework.arg_scope / contrib.framework.get_model_variables / "
       "contrib.framework.get_variables / contrib.framework.init_from_checkpoint / "
       "contrib.metrics.streaming_auc / contrib.metrics.streaming_accuracy / "
       "contrib.losses.softmax_cross_entropy / contrib.losses.get_total_loss",
       "native", "rewritten",
       "TF 1.15's code from the tf-slim package, which kept contrib.layers, "
       "contrib.framework's variables and arg_scope, contrib.metrics and contrib.losses "
       "(`pip install 'compat-tf1[slim]'`), through the guard; without tf-slim these raise "
       "RemovedAPIError naming the package and the TF2 replacement"),
    _E("contrib.lookup.index_table_from_tensor / contrib.lookup.index_table_from_file / "
       "contrib.lookup.index_to_string_table_from_tensor / contrib.lookup.HashTable / "
       "contrib.lookup.KeyValueTensorInitializer", "native", "rewritten",
       "TF's TF1 lookup implementations"),
    _E("contrib.rnn.LSTMCell / contrib.rnn.GRUCell / contrib.rnn.MultiRNNCell / "
       "contrib.rnn.static_rnn / contrib.framework.get_or_create_global_step", "shim", "shim",
       "the cells above; anything else under contrib raises RemovedAPIError (an "
       "AttributeError) naming the symbol and its TF2 replacement"),
    _E("contrib.rnn.LSTMBlockCell / contrib.rnn.LSTMBlockFusedCell", "shim", "shim",
       "compat's own cells on TF's LSTMBlockCell / BlockLSTM kernels, after TF 1.15's code "
       "(LSTMCell's variable names and layout; sequence_length masking); the shim adds TF1's "
       "LSTMBlockCell gradient, which TF 2.21 does not register. Tested against LSTMCell"),
    _E("contrib.rnn.stack_bidirectional_dynamic_rnn / contrib.rnn.stack_bidirectional_rnn",
       "shim", "shim",
       "compat's own, after TF 1.15's code (argument checks, cell_<i> scopes and TF 1.15's "
       "variable names, outputs concatenated on the last axis); tested against NumPy"),
    _E("contrib.eager.defun / contrib.eager.python.tfe.defun", "shim", "shim",
       "tf.function without autograph, traced inside the caller's TF1 graph (sonnet's "
       "Module.defun, scale_gradient); contrib.eager also serves executing_eagerly, "
       "in_eager_mode, Variable, py_func; the rest of contrib.eager raises RemovedAPIError"),
    _E("contrib.framework.nest / contrib.framework.smart_cond / "
       "contrib.framework.smart_constant_value", "native", "native",
       "TF1's whole nest module (flatten_up_to, map_structure_up_to, "
       "assert_shallow_structure, ...) with TF1's is_sequence; TF's smart_cond"),
    _E("contrib.crf.crf_log_likelihood / contrib.crf.crf_decode / contrib.crf.viterbi_decode "
       "/ contrib.crf.crf_sequence_score / contrib.crf.crf_log_norm", "shim", "shim",
       "compat's own linear-chain CRF after TF 1.15's behaviour (the `transitions` variable, "
       "masking by length, empty sequences); tf.scan loops instead of TF 1.15's dynamic_rnn "
       "cells, so equal to TF1 up to float rounding; tested against brute-force "
       "enumeration"),
    _E("contrib.seq2seq.sequence_loss", "shim", "shim",
       "compat's own, after TF 1.15's behaviour (weights, average / sum reductions, zero "
       "denominators give 0)"),
    _E("contrib.seq2seq.dynamic_decode / contrib.seq2seq.BasicDecoder / "
       "contrib.seq2seq.BasicDecoderOutput / contrib.seq2seq.Decoder / "
       "contrib.seq2seq.Helper / contrib.seq2seq.TrainingHelper / "
       "contrib.seq2seq.GreedyEmbeddingHelper / contrib.seq2seq.SampleEmbeddingHelper / "
       "contrib.seq2seq.CustomHelper / contrib.seq2seq.InferenceHelper / "
       "contrib.seq2seq.ScheduledEmbeddingTrainingHelper / "
       "contrib.seq2seq.ScheduledOutputTrainingHelper",
       "shim", "shim",
       "compat's own decoding loop after TF 1.15's behaviour (variables under `decoder/`, "
       "lengths at the first finished step, impute_finished, maximum_iterations, time-major "
       "outputs; scheduled sampling with seeded draws equal on both backends); tested "
       "against the cell unrolled by hand"),
    _E("contrib.seq2seq.AttentionWrapper / contrib.seq2seq.AttentionWrapperState / "
       "contrib.seq2seq.LuongAttention / contrib.seq2seq.BahdanauAttention / "
       "contrib.seq2seq.AttentionMechanism / contrib.seq2seq.hardmax / "
       "contrib.seq2seq.tile_batch", "shim", "shim",
       "compat's own, after TF 1.15's behaviour: TF1's variable names (memory_layer, "
       "attention_wrapper/attention_layer, luong_attention/attention_g, "
       "bahdanau_attention/{query_layer, attention_v, attention_g, attention_b}), scores "
       "masked past memory_sequence_length, several mechanisms, alignment_history, "
       "batch-size checks; tested against NumPy"),
    _E("contrib.seq2seq.BahdanauMonotonicAttention / contrib.seq2seq.LuongMonotonicAttention "
       "/ contrib.seq2seq.monotonic_attention / contrib.seq2seq.safe_cumprod", "shim", "shim",
       "compat's own, after TF 1.15's behaviour (sigmoid of the score plus a learned "
       "attention_score_bias, optional seeded pre-sigmoid noise, 'recursive' / 'parallel' / "
       "'hard' modes, attention starting on the first memory step); tested against NumPy"),
    _E("contrib.seq2seq.BeamSearchDecoder / contrib.seq2seq.BeamSearchDecoderState / "
       "contrib.seq2seq.BeamSearchDecoderOutput / contrib.seq2seq.FinalBeamSearchDecoderOutput "
       "/ contrib.seq2seq.gather_tree", "shim", "shim",
       "compat's own beam search after TF 1.15's behaviour (length and coverage penalties, "
       "finished beams extend with the end token, best beam first, alignment history "
       "reordered along the beams' paths); gather_tree written with TF ops (TF 2.21 has no "
       "GatherTree kernel) and checked against the kernel's documented behaviour; "
       "exhaustive search and beam width 1 (greedy) checked by enumeration"),
    _E("contrib.training.HParams", "shim", "shim",
       "compat's own, after TF 1.15's behaviour: typed values, parse / override_from_dict "
       "/ JSON, errors as ValueError naming the value; a failed override changes nothing. "
       "Not the HParamDef proto (to_proto / hparam_def=)"),
    _E("contrib.opt.LazyAdamOptimizer / contrib.opt.AdamWOptimizer / "
       "contrib.opt.MomentumWOptimizer / contrib.opt.extend_with_decoupled_weight_decay",
       "shim", "shim",
       "compat's own tf.compat.v1.train.Optimizer subclasses after TF 1.15's code (slots, "
       "names and arithmetic; minimize(decay_var_list=...) decays every variable, as in "
       "TF 1.15); other contrib.opt optimizers raise RemovedAPIError"),
    _E("contrib.data.shuffle_and_repeat / contrib.data.map_and_batch / "
       "contrib.data.parallel_interleave / contrib.data.batch_and_drop_remainder / "
       "contrib.data.sliding_window_batch / contrib.data.sloppy_interleave",
       "native", "rewritten",
       "tf.data.experimental's transformations (TF kept them); the contrib-only ones "
       "written on Dataset.batch / padded_batch / window"),
    _E("contrib.stateless.stateless_random_uniform / contrib.stateless.stateless_random_normal "
       "/ contrib.stateless.stateless_truncated_normal / contrib.stateless.stateless_multinomial"
       " / contrib.util.make_tensor_proto / contrib.util.make_ndarray / "
       "contrib.util.constant_value", "native", "rewritten",
       "TF 1.15's stateless kernels (TF1's numbers) with contrib's signatures; TF's tensor "
       "proto utilities"),
    _E("contrib.slim.arg_scope / contrib.slim.conv2d / contrib.slim.batch_norm / "
       "contrib.slim.fully_connected / contrib.slim.learning.create_train_op / "
       "contrib.slim.learning.train / contrib.slim.assign_from_checkpoint_fn / "
       "contrib.slim.get_variables_to_restore / contrib.slim.metrics.streaming_accuracy / "
       "contrib.slim.nets.resnet_v1.resnet_v1",
       "native", "rewritten",
       "the tf-slim package (TF 1.15's contrib.slim; `pip install 'compat-tf1[slim]'`), all "
       "of it through the guard; its Supervisor / MonitoredSession loops open the shim's "
       "sessions. On first use the shim restores TF-internal names TF 2.16+ moved "
       "(`ops.Tensor`, `control_flow_ops.cond`, ...) and tf-keras's legacy layer module "
       "names, which tf-slim imports (added where missing, nothing replaced)"),
    _E("Tensor.shape / Tensor.get_shape / Variable.shape / Variable.get_shape", "shim",
       "shim",
       "TF1's shapes in TF1 graphs: `x.shape[i]` is a Dimension (`.value`, `?` for unknown), "
       "also in while_loop / cond / Dataset.map bodies built by TF1 code; TF2 code, "
       "TensorFlow's own code and graphs the shim never saw keep TF2's ints "
       "(process-wide setting untouched)"),
    _E("Variable.__hash__ / Variable.__eq__ / Tensor.__hash__ / Variable.eval", "shim", "shim",
       "TF1's: graph variables (`set(tf.global_variables())`) and tensors of TF1 loop / cond "
       "bodies hash by identity and `==` is identity (TF 2.21 raises 'unhashable' for "
       "them); `v.eval()` uses the default session. TF2 objects keep TF2's rules"),
    _E("estimator.Estimator / estimator.EstimatorSpec / estimator.RunConfig / "
       "estimator.ModeKeys / estimator.train_and_evaluate / estimator.TrainSpec / "
       "estimator.EvalSpec / estimator.FinalExporter / estimator.LatestExporter / "
       "estimator.BestExporter / "
       "estimator.WarmStartSettings / estimator.export.ServingInputReceiver / "
       "estimator.export.build_raw_serving_input_receiver_fn / "
       "estimator.export.build_parsing_serving_input_receiver_fn / "
       "estimator.export.PredictOutput / estimator.inputs.numpy_input_fn / "
       "estimator.experimental.stop_if_no_decrease_hook / estimator.SessionRunHook",
       "shim", "shim",
       "TF 2.16 removed tf.estimator: compat's own Estimator after TF 1.15's (model_fn / "
       "input_fn calling conventions, checkpoints and resume in model_dir, steps / "
       "max_steps, hooks and saving listeners, eval metrics written to model_dir/eval, "
       "SavedModel export that TF2 loads, local train_and_evaluate, early-stopping hooks, "
       "tf.train's hooks under their tf.estimator names) on shim sessions; "
       "numpy_input_fn is tf.data-based (shuffled order differs from TF 1.x's queues). "
       "Canned estimators, distribution strategies, multi-worker TF_CONFIG and TPU raise "
       "errors naming the way out"),
    _E("contrib.tpu.TPUEstimator / contrib.tpu.TPUEstimatorSpec / contrib.tpu.RunConfig / "
       "contrib.tpu.TPUConfig / contrib.tpu.InputPipelineConfig", "shim", "shim",
       "with use_tpu=False, as TF 1.x ran TPUEstimator code (BERT's run_classifier) on a "
       "CPU: params['batch_size'] per mode, eval_metrics=(metric_fn, tensors), "
       "scaffold_fn, host_call; use_tpu=True raises ValueError naming TPUStrategy"),
    _E("estimator.tpu.TPUEstimator / estimator.tpu.TPUEstimatorSpec / estimator.tpu.RunConfig / "
       "estimator.tpu.TPUConfig / estimator.tpu.InputPipelineConfig", "shim", "shim",
       "TF 1.15's aliases of contrib.tpu's TPUEstimator classes (the same objects)"),
    _E("estimator.inputs.pandas_input_fn", "shim", "shim",
       "TF 1.15's behaviour on the tf.data-based numpy_input_fn (features by column, index "
       "and target_column checks); without pandas installed it raises TypeError, as TF 1.15 "
       "did"),
    _E("__version__ / __git_version__ / __compiler_version__ / __cxx11_abi_flag__ / "
       "__cxx_version__ / __monolithic_build__", "native", "native",
       "tf.compat.v1's own values (the installed TensorFlow's version: code gating on "
       "tf.__version__ sees what tf.compat.v1 shows)"),
    _E("test.TestCase / test.compute_gradient_error / test.compute_gradient / test.main",
       "shim", "shim",
       "TF1 unit tests: TensorFlow's TestCase whose session() / cached_session() / "
       "test_session() (and evaluate, Tensor.eval in them) open compat sessions on the test "
       "module's backend, configured as TF's test sessions (no constant folding); each test "
       "method builds in a fresh TF1 default graph; failed runs are logged as TF does"),
    _E("disable_v2_behavior / disable_eager_execution / enable_eager_execution / "
       "disable_v2_tensorshape", "no-op", "no-op",
       "the shim never changes process-wide TensorFlow state (TF1 graphs already get TF1 "
       "shapes)"),
)


def symbols():
    """The concrete ``compat.v1`` attribute paths the table names (for tests)."""
    return [part.strip() for entry in ENTRIES for part in entry.symbol.split(" / ")]


def markdown():
    """The table as Markdown (the docs' API page embeds this)."""
    lines = ["| TF1 symbol | graph backend | eager backend | notes |",
             "| --- | --- | --- | --- |"]
    for e in ENTRIES:
        lines.append(f"| `{e.symbol}` | {e.graph} | {e.eager} | {e.notes} |")
    return "\n".join(lines)
