"""TF 1.15 programs run unchanged through `import compat.v1 as tf`, on both backends,
and compute what TensorFlow's own v1 Session computes for the same program."""

import importlib
import pathlib
import sys

import numpy as np
import pytest
import tensorflow as tf2

import compat

PROGRAMS = pathlib.Path(__file__).parent / "programs"
LEGACY_LAYERS = "tf_keras.api._v1.keras.__internal__.legacy.layers"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return _raw("regression_1_15", str(tmp_path_factory.mktemp("raw")))


def _raw(program, *args, replace=(), tf1_shapes=False):
    """The same source with the original import, in a graph, on a raw v1 Session
    (`replace`: further (old, new) source edits the reference needs; `tf1_shapes`:
    TF 1.x's Dimension-valued shapes, which TF 2.21 gives only process-wide, switched on
    for the run and back off after)."""
    source = (PROGRAMS / f"{program}.py").read_text()
    source = source.replace("import compat.v1 as tf", "import tensorflow.compat.v1 as tf")
    for old, new in replace:
        assert old in source, old
        source = source.replace(old, new)
    assert "compat.v1 as tf" not in source.replace("tensorflow.compat.v1 as tf", "")
    namespace = {"__name__": f"raw_{program}"}
    from tensorflow.python.framework import tensor_shape

    previous = tensor_shape._TENSORSHAPE_V2_OVERRIDE
    if tf1_shapes:
        tf2.compat.v1.disable_v2_tensorshape()
    try:
        with tf2.Graph().as_default() as g:
            exec(compile(source, f"{program}_raw.py", "exec"), namespace)
            return namespace["main"](lambda: tf2.compat.v1.Session(graph=g), *args)
    finally:
        tensor_shape._TENSORSHAPE_V2_OVERRIDE = previous


def _assert_bitwise(got, ref):
    """The program's results through the shim equal the raw Session's, bit for bit."""
    assert list(got) == list(ref)
    for key in ref:
        np.testing.assert_equal(got[key], ref[key], err_msg=key)


def _shim(program, backend, *args):
    sys.modules.pop(f"tests.acceptance.programs.{program}", None)
    tf2.compat.v1.reset_default_graph()
    module = importlib.import_module(f"tests.acceptance.programs.{program}")
    assert tf2.executing_eagerly(), "building the TF1 program must not leave graph mode on"
    return module.main(lambda: compat.Session(backend=backend), *args)


@pytest.fixture(scope="module")
def variable_methods_reference():
    # TF1 semantics: ref variables and TF1 control flow (what TF 1.x and
    # disable_v2_behavior() give); TF 2.21's resource variables no longer implement
    # initialized_value(). With ref variables under TF2 control flow, the `If` op of
    # initialized_value() reads the variable as an input even when the branch taken is
    # the initial value: the reference run raised "uninitialized value" whenever the
    # initializer ran after that read (15 of 60 runs on a loaded machine; 0 of 60 with
    # TF1 control flow).
    tf2.compat.v1.disable_resource_variables()
    tf2.compat.v1.disable_control_flow_v2()
    try:
        return _raw("variable_methods")
    finally:
        tf2.compat.v1.enable_control_flow_v2()
        tf2.compat.v1.enable_resource_variables()


def test_module_level_variable_methods_match_raw_tensorflow(variable_methods_reference,
                                                            backend):
    """Methods of variables called at a script's top level (no graph context) build in
    TF1's default graph, as with TF1; resource variables get TF1's initialized_value."""
    got = _shim("variable_methods", backend)
    ref = variable_methods_reference
    assert set(got) == set(ref)
    for key in ref:
        np.testing.assert_array_equal(got[key], ref[key], err_msg=key)
    np.testing.assert_array_equal(got["twice"], got["start"] * 2)
    assert got["counter"] == 3 and got["limit_error"] == "OutOfRangeError"
    np.testing.assert_array_equal(got["table"], [1, 11, 1, 21])


def test_tf1_program_matches_raw_tensorflow(reference, backend, tmp_path):
    ref = reference
    got = _shim("regression_1_15", backend, str(tmp_path / backend))
    np.testing.assert_array_equal(got["losses"], ref["losses"])  # bit-identical
    np.testing.assert_array_equal(got["final_w_var"], ref["final_w_var"])
    # TF1 returned a variable's value for its name; raw TF 2.21 returns the handle.
    np.testing.assert_array_equal(got["final_w"], ref["final_w_var"])
    assert np.asarray(ref["final_w"]).shape != ref["final_w_var"].shape
    np.testing.assert_array_equal(got["restored_w"], ref["final_w_var"])
    assert got["step"] == ref["step"] == 30
    assert got["n_vars"] == ref["n_vars"]
    np.testing.assert_array_equal(got["shared"], np.zeros(3))
    assert got["losses"][-1] < got["losses"][0] / 10


@pytest.fixture(scope="module")
def documented_reference(tmp_path_factory):
    return _raw("documented_behaviours", str(tmp_path_factory.mktemp("raw_documented")))


def test_documented_tf1_behaviours_match_raw_tensorflow(documented_reference, backend,
                                                        tmp_path):
    """Queue runners, MonitoredTrainingSession / Supervisor / SessionManager (their
    sessions are the shim's), summaries, MetaGraph/frozen-graph/TF1 SavedModel round
    trips, partial runs, tables, metrics...: the same results as TensorFlow's own TF1 API
    on a v1 Session (on eager, with no v1 Session at all)."""
    with compat.override_backend(backend):  # the program opens its own sessions
        got = _shim("documented_behaviours", backend, str(tmp_path))
    ref = documented_reference
    assert list(got) == list(ref)
    for key in ref:
        np.testing.assert_equal(got[key], ref[key], err_msg=key)
    assert got["monitored_training_session"] == [3, True]
    assert got["supervisor_and_session_manager"] == [3, 0, 5.0]
    assert got["monitored_training_resume"][:3] == ["model.ckpt-10", 1, 10]
    np.testing.assert_array_equal(got["queue_runner"], [0.0, 1.0, 2.0])
    assert got["summaries"] == [1, [0, 1, 2]]


@pytest.fixture(scope="module")
def idioms_reference(tmp_path_factory):
    return _raw("training_idioms", str(tmp_path_factory.mktemp("raw_idioms")))


def test_training_idioms_match_raw_tensorflow(idioms_reference, backend, tmp_path):
    """Reinitializable and feedable iterators, make_callable, the optimizer zoo,
    tf.losses, EMA shadow restore, seeded input producers, parsing, loop gradients,
    scatter updates, cond side effects, numpy_function: bit for bit what TensorFlow's own
    TF1 API computes on a v1 Session, and the values TF1 documents."""
    with compat.override_backend(backend):
        got = _shim("training_idioms", backend, str(tmp_path))
    _assert_bitwise(got, idioms_reference)
    np.testing.assert_array_equal(got["reinitializable_iterator"], [0, 10, 20, 100, 101, 0, 10, 20])
    np.testing.assert_array_equal(got["feedable_iterator"], [0, 2, 4, 0, 1, 6])
    assert got["make_callable"] == [4.0, 6.0, 0.0, None]
    assert got["cond_side_effects"] == [1.0, 2.0, -8.0, -8.0]
    acc, grad, folded, scanned, scan_grad = got["loop_gradients"]
    np.testing.assert_array_equal(acc, [5.0, 31.0])  # 1 + x + x^2 + x^3 + x^4
    np.testing.assert_array_equal(grad[0], [10.0, 49.0])
    assert folded == 11.0
    np.testing.assert_array_equal(scanned, [[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_array_equal(scan_grad[0], [4.0, 4.0])
    # EMA with num_updates: decay min(0.5, (1 + n) / (10 + n)) for n = 1, 2, 3
    shadow = 1.0
    for n, value in zip((1, 2, 3), (2.0, 3.0, 4.0)):
        decay = min(0.5, (1 + n) / (10 + n))
        shadow = decay * shadow + (1 - decay) * value
    v, average, restored = got["ema_shadow_restore"]
    assert v == 4.0 and restored == average
    np.testing.assert_allclose(average, shadow, rtol=1e-6)
    assert got["scatter_local_variables"][-2:] == [0, 1]
    np.testing.assert_array_equal(got["scatter_local_variables"][3], [1.0, 7.0, 3.0, 5.0, 2.0])
    y, z, calls = got["numpy_function"]
    np.testing.assert_array_equal(z, [7.0, 5.0, 3.0])
    assert calls == [3, 1]
    assert got["parsing"][-1] == "InvalidArgumentError"


@pytest.fixture(scope="module")
def slim_reference(tmp_path_factory):
    # TF 1.15's tf.contrib.slim is the tf-slim package; on TF 2.21 it needs the
    # repairs the shim applies when serving it (moved TF-internal names, tf-keras's
    # legacy layer modules), so the reference runs with them too.
    from compat.tf1 import restored as _legacy

    _legacy.repair_tf1_library_imports()
    return _raw("slim_model", str(tmp_path_factory.mktemp("raw_slim")),
                replace=[("slim = tf.contrib.slim", "import tf_slim as slim")])


def test_tf_contrib_slim_program_matches_raw_tensorflow(slim_reference, backend, tmp_path):
    """TF1 code on tf.contrib.slim (arg_scope, batch norm with its update ops,
    create_train_op, regularization, streaming metrics, partial restore with
    assign_from_checkpoint_fn, slim.learning.train's Supervisor loop) runs unchanged,
    bit-identical to tf-slim on a raw v1 Session; on eager without any v1 Session."""
    with compat.override_backend(backend):  # slim.learning.train opens its own session
        got = _shim("slim_model", backend, str(tmp_path / backend))
    ref = slim_reference
    assert got["model_vars"] == ref["model_vars"]
    assert got["restored"] == ref["restored"]
    assert "net/conv1/BatchNorm/moving_mean" in got["restored"]
    assert not any(name.startswith("net/logits") for name in got["restored"])
    for key in ("losses", "eval_logits", "moving_mean", "restored_mean",
                "fresh_logits_bias"):
        np.testing.assert_array_equal(got[key], ref[key], err_msg=key)
    assert got["acc"] == ref["acc"] and got["step"] == ref["step"] == 0
    assert got["final_loss"] == ref["final_loss"]  # slim.learning.train's Supervisor
    assert got["final_step"] == ref["final_step"] == 3
    assert got["eval_acc"] == ref["eval_acc"] == got["acc"]  # evaluate_once (MonitoredSession)
    # the batch-norm update ops ran in training (create_train_op's update_ops) and the
    # restore brought the trained moving mean back
    assert np.any(got["moving_mean"] != 0)
    np.testing.assert_array_equal(got["restored_mean"], got["moving_mean"])
    assert not np.any(got["fresh_logits_bias"])  # logits excluded: initial zeros


@pytest.fixture(scope="module")
def slim_nets_reference(slim_reference):  # after slim_reference's import repairs
    return _raw("slim_nets", replace=[
        ("import compat.v1.contrib.slim as slim", "import tf_slim as slim"),
        ("from compat.v1.contrib.slim.nets import", "from tf_slim.nets import")])


def test_tf_contrib_slim_nets_program_matches_raw_tensorflow(slim_nets_reference, backend):
    """TF-Slim's model library (a ResNet v1 from resnet_v1_block under resnet_arg_scope)
    through tf.contrib.slim.nets: the same end points, variables and training steps."""
    ref = slim_nets_reference
    got = _shim("slim_nets", backend)
    assert got["end_points"] == ref["end_points"] and got["n_vars"] == ref["n_vars"]
    np.testing.assert_array_equal(got["losses"], ref["losses"])
    np.testing.assert_array_equal(got["block1"], ref["block1"])
    assert got["losses"][-1] < got["losses"][0]


def test_tf_contrib_slim_without_tf_slim_names_the_package(monkeypatch):
    from compat.tf1 import restored as _legacy
    from compat.tf1.errors import RemovedAPIError

    monkeypatch.setitem(sys.modules, "tf_slim", None)  # import tf_slim: ImportError
    contrib = _legacy.contrib()
    with pytest.raises(RemovedAPIError, match="pip install tf-slim"):
        contrib.slim
    with pytest.raises(AttributeError, match="pip install tf-slim"):
        contrib.slim  # again: still not installed, still the same error
    assert "slim" in dir(contrib)
    assert contrib.lookup.HashTable  # the rest of tf.contrib is unaffected
    # what TF 1.15 moved to tf-slim names the package and the TF2 replacement
    with pytest.raises(RemovedAPIError, match=r"without tf-slim .*"
                       r"tf.layers.batch_normalization"):
        contrib.layers.batch_norm
    with pytest.raises(RemovedAPIError, match="without tf-slim"):
        contrib.metrics.streaming_auc
    assert "layer_norm" not in dir(contrib.layers)
    # compat's own TF1 contrib.layers pieces serve without it
    assert contrib.layers.fully_connected.__wrapped__.__module__ == "compat.tf1.contrib.layers"
    assert "fully_connected" in dir(contrib.layers)


def _event_tags(logdir):
    from tensorflow.python.summary import summary_iterator

    tags = set()
    for path in pathlib.Path(logdir).glob("events.out.tfevents.*"):
        for event in summary_iterator.summary_iterator(str(path)):
            tags.update(value.tag for value in event.summary.value)
    return tags


def test_supervisor_background_services_run_on_shim_sessions(backend, tmp_path):
    """TF1's Supervisor threads (summaries, global_step/sec, timed checkpoints) run on
    the shim's session as they did under TF1. Under TF2 a new thread starts eager, and
    there TF's own threads take eager branches on the graph's variables: raw TF 2.21
    fails on its first loop ("Graph is finalized", or a checkpoint saved eagerly)."""
    import time

    import compat.v1 as tf

    g = tf.Graph()
    with g.as_default():
        step = tf.train.get_or_create_global_step()
        v = tf.get_variable("v", [], initializer=tf.zeros_initializer())
        tf.summary.scalar("v_summary", v)
        train = tf.group(tf.assign_add(v, 1.0), tf.assign_add(step, 1))
    with compat.override_backend(backend):
        sv = tf.train.Supervisor(graph=g, logdir=str(tmp_path), save_summaries_secs=0.2,
                                 save_model_secs=0.2)
        with sv.managed_session() as sess:
            assert isinstance(sess, compat.Session) and sess.backend == backend
            for _ in range(6):
                sess.run(train)
                time.sleep(0.1)
            assert not sv.should_stop()  # no service thread failed
        assert sv.coord.joined
    # the services' work is on disk: summaries, steps/sec and timed checkpoints
    assert {"v_summary", "global_step/sec"} <= _event_tags(tmp_path)
    latest = tf.train.latest_checkpoint(str(tmp_path))
    assert latest is not None
    assert 0 < tf.train.load_variable(latest, "global_step") <= 6
    assert tf.train.load_variable(latest, "v") == tf.train.load_variable(latest, "global_step")


def test_nested_namespaces_import_as_modules():
    """TF1 code imported tensorflow.contrib.* as modules; compat.v1's namespaces import
    the same way (the same objects as attribute access), and a removed contrib piece
    fails at import with the shim's message naming its replacement."""
    import compat.v1 as tf1
    import compat.v1.contrib.slim as slim
    import compat.v1.nn.rnn_cell as rnn_cell
    from compat.v1.contrib import lookup
    from compat.v1.contrib.slim.nets import resnet_v1

    assert slim is tf1.contrib.slim and rnn_cell is tf1.nn.rnn_cell
    assert lookup is tf1.contrib.lookup and resnet_v1 is tf1.contrib.slim.nets.resnet_v1
    from compat.v1.contrib.framework import arg_scope  # tf-slim's (TF 1.15's)
    from compat.v1.contrib.metrics import streaming_auc
    assert arg_scope is tf1.contrib.framework.arg_scope
    assert streaming_auc is tf1.contrib.metrics.streaming_auc
    with pytest.raises(ImportError, match="tf.contrib.layers.no_such_layer"):
        from compat.v1.contrib.layers import no_such_layer  # noqa: F401
    with pytest.raises(ImportError, match="tf.keras.layers.LSTM"):
        from compat.v1.contrib.cudnn_rnn import CudnnLSTM  # noqa: F401
    with pytest.raises(ImportError, match="tensorflow-probability"):
        import compat.v1.contrib.distributions  # noqa: F401
    with pytest.raises(ModuleNotFoundError):
        import compat.v1.no_such_namespace  # noqa: F401
    with pytest.raises(ModuleNotFoundError):
        import compat.v1.train.Saver  # noqa: F401  (a class, not a namespace)
    assert "compat.v1.no_such_namespace" not in sys.modules


@pytest.fixture(scope="module")
def bert_style_reference(tmp_path_factory):
    # tf.contrib.layers.layer_norm is TF 1.15's code in tf-slim (with the import repairs
    # the shim applies when serving it)
    from compat.tf1 import restored as _legacy

    _legacy.repair_tf1_library_imports()
    # tf.layers is tf-keras's TF1 code (TF 2.21's raises "not available with Keras 3")
    return _raw("bert_style", str(tmp_path_factory.mktemp("raw_bert")), replace=[
        ("return tf.contrib.layers.layer_norm(",
         "import tf_slim.layers\n    return tf_slim.layers.layer_norm("),
        ("import numpy as np\n", "import numpy as np\nimport importlib\n"
         f"tf1_layers = importlib.import_module({LEGACY_LAYERS!r})\n"),
        ("tf.layers.dense(", "tf1_layers.dense(")])


def test_transformer_program_matches_raw_tensorflow(bert_style_reference, backend,
                                                    tmp_path):
    """2018-style transformer code (tf.contrib.layers.layer_norm, tf.layers.dense,
    keep_prob dropout, an Optimizer subclass with its own apply_gradients, warmup and
    polynomial decay, clip_by_global_norm, warm start with init_from_checkpoint,
    tf.metrics) computes what TF's own TF1 API computes on a v1 Session, bit for bit.
    (On eager this needs the Session's graph optimization: optimized inside the TF2
    function instead, the erf-GELU gradient's multiplications were reassociated
    differently and the updates differed in the last bits.)"""
    with compat.override_backend(backend):  # the program opens its own sessions
        got = _shim("bert_style", backend, str(tmp_path))
    ref = bert_style_reference
    _assert_bitwise(got, ref)
    assert "bert/encoder/layer_1/output/LayerNorm/gamma" in got["checkpoint_names"]
    assert got["n_assigned"] > 20
    assert not np.any(got["fresh_bias"])  # cls/ was not warm-started
    assert got["pretrain"][-1, 0] < got["pretrain"][0, 0]  # the loss went down
    # learning rate: warmup, then polynomial decay
    np.testing.assert_allclose(got["pretrain"][:3, 1], [0.0, 5e-4, 8e-4], rtol=1e-6)
    assert got["metrics"][0] <= 1.0 and np.isfinite(got["metrics"][1])


@pytest.fixture(scope="module")
def contrib_reference(slim_reference):  # after slim_reference's import repairs
    # TF 1.15's contrib.layers / .framework / .metrics / .losses, as kept by tf-slim
    return _raw("contrib_model", replace=[
        ("layers = tf.contrib.layers\nframework = tf.contrib.framework\n",
         "import importlib\nimport tf_slim as framework\n"
         "layers = importlib.import_module('tf_slim.layers')\n"
         "import tf_slim.losses, tf_slim.metrics\n"),
        ("tf.contrib.losses.", "tf_slim.losses."),
        ("tf.contrib.metrics.", "tf_slim.metrics.")])


def test_tf_contrib_layers_program_matches_raw_tensorflow(contrib_reference, backend):
    """TF1 code on tf.contrib.layers / .framework / .metrics / .losses (arg_scope with
    batch norm, layer_norm, optimize_loss, streaming metrics) runs unchanged with
    tf-slim installed, bit for bit as TF 1.15's code on a raw v1 Session."""
    got = _shim("contrib_model", backend)
    ref = contrib_reference
    assert got["model_vars"] == ref["model_vars"]
    assert "conv1/BatchNorm/moving_mean" in got["model_vars"]
    assert got["conv_vars"] == ref["conv_vars"]
    assert got["n_reg"] == ref["n_reg"] == 2
    assert got["step"] == ref["step"] == 4
    for key in ("losses", "metrics", "moving"):
        np.testing.assert_array_equal(got[key], ref[key], err_msg=key)
    assert np.any(got["moving"] != 0)  # batch-norm updates ran with the train op


@pytest.fixture(scope="module")
def nmt_graph_run(tmp_path_factory):
    # TF 2.21 has no tf.contrib.seq2seq: the reference is the graph backend's run
    with compat.override_backend("graph"):
        return _shim("nmt_attention", "graph", str(tmp_path_factory.mktemp("nmt_graph")))


def test_nmt_attention_program_trains_and_decodes_equally_on_both_backends(
        nmt_graph_run, backend, tmp_path):
    """tensorflow/nmt-style code on tf.contrib.seq2seq (bidirectional encoder, Luong
    AttentionWrapper, TrainingHelper, sequence_loss; a separate inference graph restoring
    the checkpoint for greedy and beam-search decoding) runs unchanged; it learns the
    task, and every number equals the graph backend's."""
    with compat.override_backend(backend):
        got = _shim("nmt_attention", backend, str(tmp_path))
    from tests.acceptance.programs import nmt_attention as program

    assert got["checkpoint"] == "nmt-40"
    assert "decoder/attention/attention_layer/kernel" in got["names"]
    assert "decoder/memory_layer/kernel" in got["names"]
    assert got["losses"][-1] < got["losses"][0] / 2
    assert (got["greedy"] == program.TARGET[:8]).mean() > 0.5
    assert got["beam"].shape == (8, 5, program.BEAMS)
    assert (got["beam_scores"][:, :-1] >= got["beam_scores"][:, 1:]).all()
    _assert_bitwise(got, nmt_graph_run)


@pytest.fixture(scope="module")
def gpt2_style_reference(tmp_path_factory):
    # HParams is plain Python (compat's own; TF 2.21 has no tf.contrib)
    return _raw("gpt2_style", str(tmp_path_factory.mktemp("raw_gpt2")), replace=[
        ("from compat.v1.contrib.training import HParams",
         "from compat.tf1.contrib.training import HParams")], tf1_shapes=True)


def test_gpt2_style_program_matches_raw_tensorflow(gpt2_style_reference, backend, tmp_path):
    """2019 GPT-2-style code (HParams from JSON, get_variable transformer with
    key/value caches, Adam, Saver, while_loop sampling with top-k and a seeded
    tf.multinomial) computes what TF's own TF1 API computes on a v1 Session, bit for
    bit, sampled tokens included (a second run draws the next numbers of the stream)."""
    got = _shim("gpt2_style", backend, str(tmp_path))
    ref = gpt2_style_reference
    _assert_bitwise(got, ref)
    assert "model/h1/attn/c_attn/w" in got["variables"]
    assert got["losses"][-1] < got["losses"][0]
    assert got["samples"].shape == (3, 5 + 6)
    assert not np.array_equal(got["samples"], got["samples_again"])


@pytest.fixture(scope="module")
def keras_layers_reference():
    # TF 1.x's tf.keras is Keras 2: tf-keras's TF1 API (TF 2.21's tf.keras is Keras 3),
    # resolving initializer names to TF1's initializers in TF1 graphs as TF 1.x did
    from compat.tf1 import restored as _legacy

    _legacy.keras()
    return _raw("keras_layers", replace=[
        ("    keras = tf.keras\n",
         "    import importlib\n"
         "    keras = importlib.import_module('tf_keras.api._v1.keras')\n")])


def test_tf_keras_layers_program_matches_raw_tensorflow(keras_layers_reference, backend):
    """TF1 code applying tf.keras layers and a Sequential model to placeholders (TF 1.x's
    tf.keras: Keras 2), trained in a Session, computes what tf-keras computes on a raw
    v1 Session, bit for bit: TF 2.21's tf.keras (Keras 3) rejects TF1 graph tensors."""
    got = _shim("keras_layers", backend)
    ref = keras_layers_reference
    assert got["variables"] == ref["variables"]
    assert "batch_normalization/moving_mean" in got["variables"]
    assert got["trainable"] == ref["trainable"] and len(got["trainable"]) == 4
    for key in ("losses", "logits", "moving_mean"):
        np.testing.assert_equal(got[key], ref[key], err_msg=key)
    assert got["losses"][-1] < got["losses"][0]
    assert np.any(got["moving_mean"])  # the batch-norm updates ran


def test_tf1_unit_tests_run_on_shim_sessions(backend, monkeypatch):
    """A TF 1.x test module (tf.test.TestCase: test_session / session / cached_session,
    Tensor.eval, self.evaluate, assertRaisesOpError, compute_gradient_error) passes on
    each backend, every session it opens is the shim's on that backend (on eager the v1
    Session is unusable for this test), and a failing assertion still fails."""
    import unittest

    from compat.tf1 import testcase

    opened = []
    init = testcase._TestSession.__init__

    def record(self, *args, **kwargs):
        init(self, *args, **kwargs)
        opened.append(self.backend)

    monkeypatch.setattr(testcase._TestSession, "__init__", record)
    sys.modules.pop("tests.acceptance.programs.unit_tests", None)
    module = importlib.import_module("tests.acceptance.programs.unit_tests")
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    with compat.override_backend(backend):
        result = unittest.TestResult()
        suite.run(result)
    problems = [f"{t.id()}: {trace}" for t, trace in result.errors + result.failures]
    assert not problems, "\n".join(problems)
    # TensorFlow's TestCase skips its own `test_session` helper when loaders collect it
    assert {t.id().rsplit(".", 1)[1] for t, _ in result.skipped} == {"test_session"}
    assert result.testsRun - len(result.skipped) == 12
    assert opened and set(opened) == {backend}
    # one test picked by name, as `python unit_tests.py SquareTest.testSquare` does
    one = unittest.defaultTestLoader.loadTestsFromName("SquareTest.testSquare", module)
    result = unittest.TestResult()
    with compat.override_backend(backend):
        one.run(result)
    assert result.testsRun == 1 and result.wasSuccessful()

    class Wrong(module.SquareTest):
        def testWrong(self):
            with self.cached_session():
                self.assertAllEqual(module.tf.square([2, 3]).eval(), [4, 10])

    result = unittest.TestResult()
    with compat.override_backend(backend):
        Wrong("testWrong").run(result)
    assert len(result.failures) == 1 and "[4, 10]" in result.failures[0][1]
