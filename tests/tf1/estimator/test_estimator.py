"""tf.estimator for TF1 code (compat's Estimator, after TF 1.15's), on both backends:
the numbers are those of the same TF1 graph trained by hand on a raw v1 Session."""

import os

import numpy as np
import pytest
import tensorflow as tf2

import compat
import compat.v1 as tf
from compat.tf1.errors import RemovedAPIError

X = np.random.RandomState(0).rand(40, 3).astype(np.float32)
Y = X @ np.array([[1.0], [-2.0], [3.0]], np.float32) + 0.5
SEED = 7


def input_fn(params):
    return tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).repeat(params["epochs"]).batch(8)


def eval_input_fn():
    """The whole data set once, in batches of 8."""
    return tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).batch(8)


def model_fn(features, labels, mode, params):
    hidden = tf.layers.dense(features["x"], 4, activation=tf.nn.tanh, name="hidden")
    pred = tf.layers.dense(hidden, 1, name="out")
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": pred, "hidden": hidden})
    loss = tf.losses.mean_squared_error(labels, pred)
    train = tf.train.AdamOptimizer(params["lr"]).minimize(
        loss, tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(
        mode, loss=loss, train_op=train,
        eval_metric_ops={"mae": tf.metrics.mean_absolute_error(labels, pred)})


PARAMS = {"epochs": 2, "lr": 0.05}


@pytest.fixture
def backend(backend):
    """Each backend test runs its Estimator's sessions on that backend."""
    with compat.use_backend(backend):
        yield backend


def _estimator(model_dir, **config):
    config.setdefault("tf_random_seed", SEED)
    config.setdefault("log_step_count_steps", None)
    return tf.estimator.Estimator(model_fn, model_dir=str(model_dir), params=PARAMS,
                                  config=tf.estimator.RunConfig(**config))


@pytest.fixture(scope="module")
def reference():
    """The same graph built in the Estimator's order (seed, global step, input, model)
    and trained by hand on TensorFlow's v1 Session: variables after 4 + 3 steps, and
    the predictions of the result."""
    graph = tf2.Graph()
    with graph.as_default():
        tf2.compat.v1.set_random_seed(SEED)
        tf2.compat.v1.train.get_or_create_global_step()
        iterator = tf2.compat.v1.data.make_initializable_iterator(input_fn(PARAMS))
        features, labels = iterator.get_next()
        spec = model_fn(features, labels, tf.estimator.ModeKeys.TRAIN, PARAMS)
        variables = tf2.compat.v1.trainable_variables()
        init = tf2.compat.v1.global_variables_initializer()
    with tf2.compat.v1.Session(graph=graph) as sess:
        sess.run(init)
        for steps in (4, 3):  # two train() calls: each starts its input anew
            sess.run(iterator.initializer)
            for _ in range(steps):
                sess.run(spec.train_op)
        trained = {v.op.name: sess.run(v) for v in variables}
    pred = np.tanh(X @ trained["hidden/kernel"] + trained["hidden/bias"]) @ \
        trained["out/kernel"] + trained["out/bias"]
    return trained, pred


def test_train_evaluate_predict_export(backend, tmp_path, reference):
    trained, pred = reference
    est = _estimator(tmp_path / "model", save_checkpoints_steps=3)
    assert est.train(input_fn, steps=4) is est
    assert est.get_variable_value("global_step") == 4
    est.train(input_fn, max_steps=7)  # resumes from the checkpoint at step 4
    assert est.get_variable_value("global_step") == 7
    for name, value in trained.items():
        np.testing.assert_array_equal(est.get_variable_value(name), value, err_msg=name)
    est.train(input_fn, max_steps=7)  # already there: nothing runs, nothing is saved
    assert est.latest_checkpoint().endswith("model.ckpt-7")

    result = est.evaluate(eval_input_fn, name="all")
    assert set(result) == {"mae", "loss", "global_step"} and result["global_step"] == 7
    np.testing.assert_allclose(result["mae"], np.abs(pred - Y).mean(), rtol=1e-5)
    np.testing.assert_allclose(result["loss"], ((pred - Y) ** 2).mean(), rtol=1e-5)
    tags = set()
    eval_dir = tmp_path / "model" / "eval_all"
    for name in os.listdir(eval_dir):
        for event in tf.train.summary_iterator(str(eval_dir / name)):
            tags |= {v.tag for v in event.summary.value}
    assert tags == {"mae", "loss"}

    predict_input = lambda: tf.data.Dataset.from_tensor_slices({"x": X[:5]}).batch(2)  # noqa: E731
    examples = list(est.predict(predict_input))
    assert len(examples) == 5 and set(examples[0]) == {"y", "hidden"}
    np.testing.assert_allclose(np.stack([e["y"] for e in examples]), pred[:5], rtol=1e-5)
    batches = list(est.predict(predict_input, predict_keys=["y"],
                               yield_single_examples=False))
    assert [b["y"].shape for b in batches] == [(2, 1), (2, 1), (1, 1)]

    receiver = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.placeholder(tf.float32, [None, 3])})
    path = est.export_saved_model(str(tmp_path / "export"), receiver)
    assert isinstance(path, bytes) and os.listdir(tmp_path / "export") == [
        os.path.basename(path.decode())]
    served = tf2.saved_model.load(path.decode()).signatures["serving_default"]
    np.testing.assert_allclose(served(x=tf2.constant(X[:5]))["y"].numpy(), pred[:5],
                               rtol=1e-5)


def test_train_and_evaluate_with_exporters(backend, tmp_path):
    est = _estimator(tmp_path / "model", save_checkpoints_steps=4)
    receiver = tf.estimator.export.build_parsing_serving_input_receiver_fn(
        {"x": tf.FixedLenFeature([3], tf.float32)})
    eval_spec = tf.estimator.EvalSpec(
        eval_input_fn, steps=2,
        throttle_secs=0, exporters=[tf.estimator.FinalExporter("final", receiver),
                                    tf.estimator.LatestExporter("latest", receiver,
                                                                exports_to_keep=2)])
    result, exports = tf.estimator.train_and_evaluate(
        est, tf.estimator.TrainSpec(input_fn, max_steps=9), eval_spec)
    assert result["global_step"] == 9 and np.isfinite(result["loss"])
    assert len(exports) == 2 and all(isinstance(p, bytes) for p in exports)
    assert len(os.listdir(tmp_path / "model" / "export" / "final")) == 1
    assert len(os.listdir(tmp_path / "model" / "export" / "latest")) == 2  # 3 evals, 2 kept
    example = tf.train.Example(features=tf.train.Features(feature={
        "x": tf.train.Feature(float_list=tf.train.FloatList(value=X[0].tolist()))}))
    served = tf2.saved_model.load(exports[0].decode()).signatures["serving_default"]
    assert served(examples=tf2.constant([example.SerializeToString()]))["y"].shape == (1, 1)


def test_numpy_input_fn(backend, tmp_path):
    with pytest.raises(ValueError, match="shuffle must be provided"):
        tf.estimator.inputs.numpy_input_fn({"x": X}, Y)
    with pytest.raises(ValueError, match="mismatched"):
        tf.estimator.inputs.numpy_input_fn({"x": X}, Y[:3], shuffle=False)
    fn = tf.estimator.inputs.numpy_input_fn({"x": X}, Y, batch_size=16, num_epochs=1,
                                            shuffle=False)
    est = _estimator(tmp_path / "model")
    est.train(fn)
    assert est.get_variable_value("global_step") == 3  # 40 rows, batches of 16
    predict = tf.estimator.inputs.numpy_input_fn({"x": X[:3]}, batch_size=2, shuffle=False)
    assert len(list(est.predict(predict))) == 3


def test_bad_calls_name_the_problem_and_change_nothing(backend, tmp_path):
    est = _estimator(tmp_path / "model")
    with pytest.raises(ValueError, match="both steps and max_steps"):
        est.train(input_fn, steps=1, max_steps=1)
    with pytest.raises(ValueError, match="steps > 0"):
        est.train(input_fn, steps=0)
    with pytest.raises(ValueError, match="Couldn't find trained model"):
        est.export_saved_model(str(tmp_path / "export"), lambda: None)
    with pytest.raises(ValueError, match="Could not find trained model"):
        est.get_variable_value("global_step")
    assert not (tmp_path / "export").exists()
    with pytest.raises(ValueError, match="must include features"):
        tf.estimator.Estimator(lambda inputs, mode: None)
    with pytest.raises(ValueError, match="does not include params"):
        tf.estimator.Estimator(lambda features, labels, mode: None, params={"a": 1})
    with pytest.raises(ValueError, match="save_checkpoints_steps and save_checkpoints_secs"):
        tf.estimator.RunConfig(save_checkpoints_steps=1, save_checkpoints_secs=1)
    with pytest.raises(ValueError, match="distribution strategies"):
        tf.estimator.RunConfig(train_distribute=object())

    def no_train_op(features, labels, mode):
        loss = tf.reduce_mean(tf.layers.dense(features["x"], 1))
        return tf.estimator.EstimatorSpec(mode, loss=loss)

    with pytest.raises(ValueError, match="Missing train_op"):
        tf.estimator.Estimator(no_train_op, model_dir=str(tmp_path / "m2")).train(
            lambda: ({"x": tf.constant(X)}, tf.constant(Y)), steps=1)

    est.train(input_fn, steps=2)
    before = sorted(os.listdir(tmp_path / "model"))

    def loss_metric(features, labels, mode, params):
        spec = model_fn(features, labels, mode, params)
        return spec._replace(eval_metric_ops={"loss": tf.metrics.mean(spec.loss)})

    bad = tf.estimator.Estimator(loss_metric, model_dir=str(tmp_path / "model"),
                                 params=PARAMS)
    with pytest.raises(ValueError, match="Metric with name `loss` is not allowed"):
        bad.evaluate(input_fn, steps=1)
    with pytest.raises(ValueError, match="Expected to run at least one output"):
        next(est.predict(lambda: {"x": tf.constant(X)}, predict_keys=["nope"]))
    with pytest.raises(TypeError, match="ServingInputReceiver"):
        est.export_saved_model(str(tmp_path / "export"), lambda: {"x": 1})
    assert not (tmp_path / "export").exists()  # the failed export left nothing
    assert sorted(os.listdir(tmp_path / "model")) == before
    assert est.get_variable_value("global_step") == 2


def test_uncovered_parts_name_the_way_out():
    with pytest.raises(RemovedAPIError, match="canned estimators.*Keras"):
        tf.estimator.DNNClassifier  # noqa: B018
    with pytest.raises(RemovedAPIError, match="LinearRegressor.*canned"):
        tf.estimator.LinearRegressor  # noqa: B018
    # TF 1.15 served TPUEstimator under tf.estimator.tpu too: not an uncovered part
    assert tf.estimator.tpu.TPUEstimator is tf.contrib.tpu.TPUEstimator
    assert tf.estimator.Estimator is compat.tf1.estimator.Estimator


def test_multi_worker_tf_config_is_refused(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["a:1", "b:2"]}, '
                                    '"task": {"type": "worker", "index": 0}}')
    with pytest.raises(ValueError, match="TF_CONFIG names a cluster"):
        tf.estimator.RunConfig()


def test_tpu_estimator_on_cpu_as_bert_ran_it(backend, tmp_path, reference):
    """BERT's run_classifier flow: tf.contrib.tpu.RunConfig / TPUConfig, TPUEstimator with
    use_tpu=False and per-mode batch sizes in params['batch_size'], TPUEstimatorSpec with
    eval_metrics=(metric_fn, tensors); trains to the same variables as Estimator."""
    trained, pred = reference
    seen_batch_sizes = []

    def tpu_input_fn(params):
        seen_batch_sizes.append(params["batch_size"])
        assert params["use_tpu"] is False
        data = tf.data.Dataset.from_tensor_slices(({"x": X}, Y))
        return data.repeat(params["epochs"]).batch(params["batch_size"])

    def tpu_model_fn(features, labels, mode, params):
        spec = model_fn(features, labels, mode, params)
        if mode == tf.estimator.ModeKeys.PREDICT:
            return tf.contrib.tpu.TPUEstimatorSpec(mode, predictions=spec.predictions)
        pred_t = tf.get_default_graph().get_tensor_by_name("out/BiasAdd:0")

        def metric_fn(labels, predictions):
            return {"mae": tf.metrics.mean_absolute_error(labels, predictions)}

        return tf.contrib.tpu.TPUEstimatorSpec(
            mode, loss=spec.loss, train_op=spec.train_op,
            eval_metrics=(metric_fn, [labels, pred_t]), scaffold_fn=None)

    config = tf.contrib.tpu.RunConfig(
        model_dir=str(tmp_path / "model"), save_checkpoints_steps=4, tf_random_seed=SEED,
        log_step_count_steps=None,
        tpu_config=tf.contrib.tpu.TPUConfig(iterations_per_loop=4, num_shards=8,
                                            per_host_input_for_training=tf.contrib.tpu.
                                            InputPipelineConfig.PER_HOST_V2))
    est = tf.contrib.tpu.TPUEstimator(use_tpu=False, model_fn=tpu_model_fn, config=config,
                                      params=PARAMS, train_batch_size=8, eval_batch_size=8,
                                      predict_batch_size=2)
    est.train(tpu_input_fn, max_steps=4)
    est.train(tpu_input_fn, max_steps=7)
    for name, value in trained.items():
        np.testing.assert_array_equal(est.get_variable_value(name), value, err_msg=name)
    result = est.evaluate(lambda params: tf.data.Dataset.from_tensor_slices(
        ({"x": X}, Y)).batch(params["batch_size"]))
    np.testing.assert_allclose(result["mae"], np.abs(pred - Y).mean(), rtol=1e-5)
    examples = list(est.predict(lambda params: tf.data.Dataset.from_tensor_slices(
        {"x": X[:3]}).batch(params["batch_size"])))
    np.testing.assert_allclose(np.stack([e["y"] for e in examples]), pred[:3], rtol=1e-5)
    assert seen_batch_sizes == [8, 8]
    with pytest.raises(ValueError, match="use_tpu=True"):
        tf.contrib.tpu.TPUEstimator(model_fn=tpu_model_fn, config=config,
                                    train_batch_size=8)
    with pytest.raises(ValueError, match="batch_size is reserved|reserved"):
        tf.contrib.tpu.TPUEstimator(model_fn=tpu_model_fn, use_tpu=False,
                                    params={"batch_size": 3}, train_batch_size=8)


def _frozen_estimator(model_dir):
    """An Estimator whose learning rate is 0 (every evaluation the same), checkpointing
    every 2 steps."""
    return tf.estimator.Estimator(model_fn, model_dir=str(model_dir),
                                  params={"epochs": 100, "lr": 0.0},
                                  config=tf.estimator.RunConfig(
                                      tf_random_seed=SEED, save_checkpoints_steps=2,
                                      log_step_count_steps=None))


def test_early_stopping_hook_stops_train_and_evaluate(backend, tmp_path):
    """tf.estimator.experimental.stop_if_no_decrease_hook: with a learning rate of 0 the
    evaluation loss never decreases, so training stops long before max_steps."""
    est = _frozen_estimator(tmp_path / "model")
    stop = tf.estimator.experimental.stop_if_no_decrease_hook(
        est, "loss", max_steps_without_decrease=4, run_every_secs=None, run_every_steps=1)
    result, _ = tf.estimator.train_and_evaluate(
        est, tf.estimator.TrainSpec(input_fn, max_steps=100, hooks=[stop]),
        tf.estimator.EvalSpec(eval_input_fn, steps=None, throttle_secs=0))
    from compat.tf1.estimator import read_eval_metrics

    evaluated = read_eval_metrics(est.eval_dir())
    assert list(evaluated)[:3] == [2, 4, 6]  # every evaluation's summaries are kept
    assert evaluated[2]["loss"] == evaluated[6]["loss"] == result["loss"]
    assert 6 <= result["global_step"] <= 8  # best at step 2, no decrease by step 6
    with pytest.raises(ValueError, match="Only one of"):
        tf.estimator.experimental.stop_if_higher_hook(est, "loss", 1.0, run_every_secs=1,
                                                      run_every_steps=1)


@pytest.fixture(scope="module")
def bert_classifier_graph(tmp_path_factory):
    from tests.acceptance.programs import bert_classifier

    with compat.use_backend("graph"):
        return bert_classifier.main(str(tmp_path_factory.mktemp("bert_graph")))


def test_bert_run_classifier_flow(backend, tmp_path, bert_classifier_graph):
    """BERT's run_classifier flow (TPUEstimator on CPU, TFRecords, map_and_batch, dropout,
    shuffling, polynomial decay, gradient clipping, metric_fn, predict) runs unchanged on
    each backend; the eager backend's weights, metrics and predictions equal the graph
    backend's bit for bit."""
    from tests.acceptance.programs import bert_classifier

    result, probabilities, weights = bert_classifier.main(str(tmp_path))
    assert result["global_step"] == 20 and 0.0 <= result["eval_accuracy"] <= 1.0
    assert probabilities.shape == (16, 2)
    np.testing.assert_allclose(probabilities.sum(1), 1.0, rtol=1e-6)
    assert "eval_loss = " in (tmp_path / "eval_results.txt").read_text()
    ref_result, ref_probabilities, ref_weights = bert_classifier_graph
    assert {k: float(v) for k, v in result.items()} == \
        {k: float(v) for k, v in ref_result.items()}
    np.testing.assert_array_equal(probabilities, ref_probabilities)
    for name, value in ref_weights.items():
        np.testing.assert_array_equal(weights[name], value, err_msg=name)


def test_best_exporter_exports_only_improvements(backend, tmp_path):
    """With a learning rate of 0 every evaluation has the same loss: BestExporter exports
    after the first one only, and a resumed run (a new exporter reading the earlier
    evaluations from model_dir/eval) exports nothing more."""
    est = _frozen_estimator(tmp_path / "model")
    receiver = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.placeholder(tf.float32, [None, 3])})
    best_dir = tmp_path / "model" / "export" / "best"
    for max_steps in (6, 8):
        spec = tf.estimator.EvalSpec(eval_input_fn, steps=None, throttle_secs=0,
                                     exporters=tf.estimator.BestExporter(
                                         "best", receiver, exports_to_keep=3))
        result, exports = tf.estimator.train_and_evaluate(
            est, tf.estimator.TrainSpec(input_fn, max_steps=max_steps), spec)
        assert result["global_step"] == max_steps and exports == [None]
        assert len(os.listdir(best_dir)) == 1
