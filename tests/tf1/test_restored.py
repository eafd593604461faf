"""tf.layers, tf.nn.rnn_cell and tf.contrib through the shim, on both backends, against
a reference run of TensorFlow's own TF1 implementations (tf-keras's legacy layers and
cells in a raw v1 Session)."""

import os

import numpy as np
import pytest
import tensorflow as tf2

import compat
import compat.v1 as tf
from compat.tf1.errors import RemovedAPIError

LEGACY_LAYERS = "tf_keras.api._v1.keras.__internal__.legacy.layers"
LEGACY_CELLS = "tf_keras.api._v1.keras.__internal__.legacy.rnn_cell"


def build_model(v1, layers, cells):
    """A 2018-style model touching every covered layer and cell. Returns
    (feeds placeholders, outputs dict, train_op)."""
    v1.set_random_seed(1)
    x = v1.placeholder(v1.float32, [None, 6], name="x")
    seq = v1.placeholder(v1.float32, [None, 4, 3], name="seq")
    img = v1.placeholder(v1.float32, [None, 6, 6, 2], name="img")
    training = v1.placeholder_with_default(False, [], name="training")
    h = layers.dense(x, 8, activation=v1.nn.relu)
    h = layers.batch_normalization(h, training=training)
    h = layers.dropout(h, 0.3, training=training, seed=3)
    c = layers.conv1d(v1.reshape(h, [-1, 8, 1]), filters=2, kernel_size=3, padding="same")
    c = layers.max_pooling1d(c, 2, 2)
    c = layers.average_pooling1d(c, 2, 1)
    flat = layers.flatten(c)
    i = layers.conv2d(img, 3, 3, activation=v1.nn.tanh)
    i = layers.max_pooling2d(i, 2, 2)
    i = layers.average_pooling2d(i, 2, 1)
    dense_cls = layers.Dense(2, name="head")
    lstm_out, _ = v1.nn.dynamic_rnn(cells.LSTMCell(3), seq, dtype=v1.float32, scope="lstm")
    multi = cells.MultiRNNCell([cells.DropoutWrapper(cells.GRUCell(3), output_keep_prob=1.0),
                                cells.BasicLSTMCell(2)])
    static_out, _ = v1.nn.static_rnn(multi, v1.unstack(seq, axis=1), dtype=v1.float32,
                                     scope="static")
    (fw, bw), _ = v1.nn.bidirectional_dynamic_rnn(
        cells.BasicRNNCell(2), cells.BasicLSTMCell(2), seq, dtype=v1.float32, scope="bi")
    features = v1.concat([flat, layers.flatten(i), lstm_out[:, -1], static_out[-1],
                          fw[:, -1], bw[:, 0]], axis=1)
    logits = dense_cls(features)
    loss = v1.reduce_mean(v1.square(logits), name="loss")
    with v1.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
        train = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    return (x, seq, img, training), {"logits": logits, "loss": loss}, train


def feeds(placeholders, training):
    x, seq, img, flag = placeholders
    rng = np.random.RandomState(0)
    return {x: rng.randn(5, 6).astype(np.float32), seq: rng.randn(5, 4, 3).astype(np.float32),
            img: rng.randn(5, 6, 6, 2).astype(np.float32), flag: training}


def run_model(make_session, v1, layers, cells, graph):
    """Inference, one training step (batch-norm updates included), variables after."""
    with graph.as_default():
        phs, outputs, train = build_model(v1, layers, cells)
        init = v1.global_variables_initializer()
        variables = v1.global_variables()
    rng = np.random.RandomState(42)
    values = {v.op.name: rng.uniform(-0.5, 0.5, v.shape.as_list()).astype(np.float32)
              for v in variables}
    sess = make_session(graph)
    try:
        sess.run(init)
        for v in variables:
            v.load(values[v.op.name], sess)
        inference = sess.run(outputs, feeds(phs, False))
        sess.run(train, feeds(phs, True))
        after = sess.run({v.op.name: v for v in variables})
        return {v.op.name: v.shape.as_list() for v in variables}, inference, after
    finally:
        sess.close()


@pytest.fixture(scope="module")
def reference():
    """TF's own TF1 implementations in a raw v1 Session: what TF1 code got with
    TF_USE_LEGACY_KERAS (without the process-wide switch)."""
    import importlib
    layers = importlib.import_module(LEGACY_LAYERS)
    cells = importlib.import_module(LEGACY_CELLS)
    graph = tf2.Graph()
    return run_model(lambda g: tf2.compat.v1.Session(graph=g), tf2.compat.v1, layers, cells,
                     graph)


def test_layers_and_cells_match_tf1_reference(reference, backend):
    ref_shapes, ref_inference, ref_after = reference
    graph = tf.Graph()
    shapes, inference, after = run_model(
        lambda g: tf.Session(graph=g, backend=backend), tf, tf.layers, tf.nn.rnn_cell, graph)
    # TF1 variable names and shapes, so TF1 checkpoints restore by name
    assert shapes == ref_shapes
    for name in ("dense/kernel", "dense/bias", "batch_normalization/gamma",
                 "batch_normalization/moving_mean", "batch_normalization/moving_variance",
                 "conv1d/kernel", "conv2d/kernel", "head/kernel", "lstm/lstm_cell/kernel",
                 "static/multi_rnn_cell/cell_0/gru_cell/gates/kernel",
                 "static/multi_rnn_cell/cell_1/basic_lstm_cell/kernel",
                 "bi/fw/basic_rnn_cell/kernel", "bi/bw/basic_lstm_cell/bias"):
        assert name in shapes, name
    for key in ref_inference:
        np.testing.assert_allclose(inference[key], ref_inference[key], rtol=1e-6, atol=1e-6)
    for name in ref_after:
        np.testing.assert_allclose(after[name], ref_after[name], rtol=1e-5, atol=1e-6,
                                   err_msg=name)
    # the training step ran the batch-norm updates
    assert not np.allclose(after["batch_normalization/moving_mean"],
                           np.random.RandomState(42).uniform(-0.5, 0.5, [8]))


def test_batch_normalization_numerics_and_update_ops(backend):
    x = tf.placeholder(tf.float32, [None, 3])
    training = tf.placeholder(tf.bool, [])
    y = tf.layers.batch_normalization(x, momentum=0.9, epsilon=1e-3, training=training)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    data = np.array([[1.0, 2.0, 3.0], [3.0, 6.0, 9.0]], np.float32)
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        out, _ = sess.run([y, updates], {x: data, training: True})
        mean, var = data.mean(0), data.var(0)
        np.testing.assert_allclose(out, (data - mean) / np.sqrt(var + 1e-3), rtol=1e-5)
        moving_mean, moving_var = sess.run(["batch_normalization/moving_mean:0",
                                            "batch_normalization/moving_variance:0"])
        np.testing.assert_allclose(moving_mean, 0.1 * mean, rtol=1e-6)
        # non-fused (rank-2) batch norm: the batch's biased variance
        np.testing.assert_allclose(moving_var, 0.9 + 0.1 * var, rtol=1e-6)
        inference = sess.run(y, {x: data, training: False})
        np.testing.assert_allclose(
            inference, (data - moving_mean) / np.sqrt(moving_var + 1e-3), rtol=1e-5)


def test_keras_stays_keras3_after_the_legacy_apis_load():
    assert tf.layers.Dense is not None and tf.nn.rnn_cell.LSTMCell is not None
    assert tf.contrib.layers.fully_connected is not None
    assert "TF_USE_LEGACY_KERAS" not in os.environ
    assert tf2.keras.__version__.startswith("3.")
    assert type(tf2.keras.layers.Dense(1)).__module__.startswith("keras.")


def test_layer_class_reuse_and_variable_scopes(backend):
    x = tf.placeholder(tf.float32, [None, 2])
    with tf.variable_scope("tower"):
        a = tf.layers.dense(x, 3, name="fc")
    with tf.variable_scope("tower", reuse=True):
        b = tf.layers.dense(x, 3, name="fc")
    assert [v.op.name for v in tf.trainable_variables()] == ["tower/fc/kernel", "tower/fc/bias"]
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        va, vb = sess.run([a, b], {x: np.ones((2, 2))})
    np.testing.assert_array_equal(va, vb)


# --- tf.contrib ------------------------------------------------------------------------
def _values(tensor_fn, backend):
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(5)
        t = tensor_fn()
    with tf.Session(graph=graph, backend=backend) as sess:
        return sess.run(t)


def test_contrib_initializers_have_tf1_values(backend):
    shape = [20, 30]
    got = _values(lambda: tf.contrib.layers.xavier_initializer(seed=3)(shape), backend)
    limit = np.sqrt(6.0 / (20 + 30))
    want = _values(lambda: tf.random_uniform(shape, -limit, limit, seed=3), backend)
    np.testing.assert_array_equal(got, want)
    he = _values(lambda: tf.contrib.layers.variance_scaling_initializer(seed=4)([3, 3, 8, 16]),
                 backend)
    stddev = np.sqrt(1.3 * 2.0 / (3 * 3 * 8))
    want = _values(lambda: tf.truncated_normal([3, 3, 8, 16], 0.0, stddev, seed=4), backend)
    np.testing.assert_array_equal(he, want)
    with pytest.raises(TypeError, match="Unknown mode"):
        tf.contrib.layers.variance_scaling_initializer(mode="FAN_MAX")


def test_contrib_regularizers(backend):
    w = tf.constant([[1.0, -2.0], [3.0, -4.0]])
    l1 = tf.contrib.layers.l1_regularizer(0.5)(w)
    l2 = tf.contrib.layers.l2_regularizer(0.5)(w)
    total = tf.contrib.layers.apply_regularization(tf.contrib.layers.l2_regularizer(1.0), [w, w])
    assert tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES) == [total]
    with tf.Session(backend=backend) as sess:
        assert sess.run([l1, l2, total]) == [5.0, 7.5, 30.0]
    assert tf.contrib.layers.l2_regularizer(0.0)(w) is None
    with pytest.raises(ValueError, match="less than 0"):
        tf.contrib.layers.l1_regularizer(-1.0)
    with pytest.raises(ValueError, match="cannot be an integer"):
        tf.contrib.layers.l2_regularizer(1)
    with pytest.raises(ValueError, match="No weights to regularize"):
        tf.contrib.layers.apply_regularization(tf.contrib.layers.l2_regularizer(1.0))


def test_contrib_fully_connected_and_embed_sequence(backend):
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.contrib.layers.fully_connected(x, 2)
    z = tf.contrib.layers.fully_connected(y, 1, activation_fn=None, scope="out")
    ids = tf.placeholder(tf.int32, [None, 4])
    emb = tf.contrib.layers.embed_sequence(ids, vocab_size=10, embed_dim=3)
    names = [v.op.name for v in tf.global_variables()]
    assert names == ["fully_connected/weights", "fully_connected/biases", "out/weights",
                     "out/biases", "EmbedSequence/embeddings"]
    assert [v.op.name for v in tf.model_variables()] == names
    # TF 1.15: WEIGHTS / BIASES and output collections only when asked for
    assert tf.get_collection(tf.GraphKeys.WEIGHTS) == []
    fc = tf.contrib.layers.fully_connected(
        x, 2, scope="fc", variables_collections={"weights": ["w"]}, outputs_collections="o")
    assert [v.op.name for v in tf.get_collection("w")] == ["fc/weights"]
    assert tf.get_collection("o") == [fc] and fc.aliases == ["fc"]
    with pytest.raises(ValueError, match="num_outputs"):
        tf.contrib.layers.fully_connected(x, 2.5)
    with pytest.raises(ValueError, match="Must specify vocab size"):
        tf.contrib.layers.embed_sequence(ids)
    data = np.array([[1.0, -1.0, 2.0]], np.float32)
    id_data = np.array([[0, 9, 3, 3]], np.int32)
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        w, b, w2, b2, table = sess.run([n + ":0" for n in names])
        out, e = sess.run([z, emb], {x: data, ids: id_data})
    np.testing.assert_allclose(out, np.maximum(data @ w + b, 0) @ w2 + b2, rtol=1e-6)
    np.testing.assert_array_equal(e, table[id_data])


def test_contrib_lookup_tables(backend, tmp_path):
    vocab_file = tmp_path / "vocab.txt"
    vocab_file.write_text("apple\nbanana\ncherry\n")
    words = tf.constant(["banana", "kiwi", "apple"])
    t1 = tf.contrib.lookup.index_table_from_tensor(["apple", "banana", "cherry"],
                                                   num_oov_buckets=1)
    t2 = tf.contrib.lookup.index_table_from_file(str(vocab_file), default_value=-1)
    t3 = tf.contrib.lookup.index_to_string_table_from_tensor(["a", "b"], default_value="?")
    t4 = tf.contrib.lookup.HashTable(
        tf.contrib.lookup.KeyValueTensorInitializer([1, 2], [10, 20], tf.int32, tf.int32), -1)
    fetches = [t1.lookup(words), t2.lookup(words), t3.lookup(tf.constant([1, 5], tf.int64)),
               t4.lookup(tf.constant([2, 3]))]
    with tf.Session(backend=backend) as sess:
        sess.run(tf.tables_initializer())
        a, b, c, d = sess.run(fetches)
    assert list(a) == [1, 3, 0] and list(b) == [1, -1, 0]
    assert list(c) == [b"b", b"?"] and list(d) == [20, -1]


def test_contrib_rnn_and_framework(backend):
    seq = tf.placeholder(tf.float32, [None, 3, 2])
    cell = tf.contrib.rnn.MultiRNNCell([tf.contrib.rnn.LSTMCell(2), tf.contrib.rnn.GRUCell(2)])
    outs, _ = tf.contrib.rnn.static_rnn(cell, tf.unstack(seq, axis=1), dtype=tf.float32)
    step = tf.contrib.framework.get_or_create_global_step()
    assert step.op.name == "global_step"
    assert tf.contrib.framework.get_global_step() is not None
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(outs[-1], {seq: np.ones((4, 3, 2))}).shape == (4, 2)


@pytest.mark.parametrize("path, hint", [
    ("seq2seq.BeamSearchDecoderV2", "tfa.seq2seq"),
    ("distributions", "tensorflow-probability"),
    ("learn", "tf.keras"),
    ("rnn.LayerNormBasicLSTMCell", "tfa.rnn.LayerNormLSTMCell"),
    ("layers.no_such_layer", "not covered by compat"),
    ("metrics.no_such_metric", "tf.compat.v1.metrics"),
    ("no_such_module", "not covered by compat"),
])
def test_removed_contrib_symbols_name_their_replacement(path, hint):
    obj = tf.contrib
    parts = path.split(".")
    for part in parts[:-1]:
        obj = getattr(obj, part)
    with pytest.raises(RemovedAPIError) as info:
        getattr(obj, parts[-1])
    assert f"tf.contrib.{path}" in str(info.value) and hint in str(info.value)
    assert isinstance(info.value, AttributeError)
    assert not hasattr(obj, parts[-1])



def _seeded_kernels(backend):
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(3)
        x = tf.placeholder(tf.float32, [None, 6])
        tf.layers.dense(x, 4)
        seq = tf.placeholder(tf.float32, [None, 2, 3])
        tf.nn.dynamic_rnn(tf.nn.rnn_cell.LSTMCell(2), seq, dtype=tf.float32)
    with tf.Session(graph=graph, backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(["dense/kernel:0", "rnn/lstm_cell/kernel:0"])


@pytest.fixture(scope="module")
def graph_kernels():
    return _seeded_kernels("graph")


def test_default_initializers_follow_the_graph_seed_as_in_tf1(graph_kernels, backend):
    """tf.set_random_seed makes tf.layers / cell initialization repeatable (TF1's
    initializers), across graphs and backends."""
    a, b = _seeded_kernels(backend), graph_kernels
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    limit = np.sqrt(6.0 / (6 + 4))  # glorot uniform
    assert np.abs(a[0]).max() <= limit and np.abs(a[0]).std() > 0


def test_tf2_keras2_initializers_unchanged_outside_tf1_graphs():
    import tf_keras
    from tf_keras.src import initializers as kinit

    tf.layers.Dense  # loads the legacy layers
    assert type(kinit.get("glorot_uniform")).__module__.startswith("tf_keras.src.initializers")
    assert isinstance(kinit.get("glorot_uniform"), tf_keras.initializers.GlorotUniform)


class Scale(tf.layers.Layer):
    """A user layer subclassing tf.layers.Layer, as 2018 code did."""

    def build(self, input_shape):
        self.s = self.add_weight("s", [int(input_shape[-1])],
                                 initializer=tf.constant_initializer(2.0))
        super().build(input_shape)

    def call(self, x):
        return x * self.s


class MyBatchNorm(tf.layers.BatchNormalization):
    pass


class HalfStep(tf.train.GradientDescentOptimizer):
    def __init__(self):
        super().__init__(0.5)


def test_user_subclasses_of_shim_classes_build_at_module_level(backend):
    """Subclasses work where 2018 code used them: built eagerly at module level."""
    x = tf.placeholder(tf.float32, [None, 3])
    training = tf.placeholder_with_default(False, [])
    y = Scale(name="scale")(x)
    z = MyBatchNorm(name="bn")(y, training=training)  # keeps the `training` argument
    v = tf.Variable(2.0, name="v")
    step = HalfStep().minimize(tf.square(v))
    assert isinstance(HalfStep(), tf.train.Optimizer)
    assert [w.op.name for w in tf.global_variables()][:2] == ["scale/s", "bn/gamma"]
    assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 2
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(y, {x: np.ones((1, 3))}), [[2.0, 2.0, 2.0]])
        out = sess.run(z, {x: np.array([[1.0, 2, 3], [3, 4, 5]]), training: True})
        np.testing.assert_allclose(out, [[-1, -1, -1], [1, 1, 1]], atol=1e-2)
        sess.run(step)
        assert sess.run(v) == 0.0  # 2 - 0.5 * 2 * 2


def test_layer_properties_read_at_module_level(backend):
    """Properties of TF1 layer objects (`layer.updates`, `layer.losses`, `layer.weights`)
    read at a script's top level compute in TF1's default graph, like their methods:
    read eagerly, `updates` raised AttributeError on TF 2.21."""
    x = tf.placeholder(tf.float32, [None, 3])
    bn = tf.layers.BatchNormalization(momentum=0.5, name="bn")
    dense = tf.layers.Dense(2, kernel_regularizer=tf.contrib.layers.l2_regularizer(0.5),
                            kernel_initializer=tf.ones_initializer(), name="d")
    y = dense(bn(x, training=True))
    updates = bn.updates
    assert sorted(op.name for op in updates) == sorted(
        op.name for op in tf.get_collection(tf.GraphKeys.UPDATE_OPS))
    assert len(updates) == 2
    assert [w.name for w in bn.weights] == ["bn/gamma:0", "bn/beta:0", "bn/moving_mean:0",
                                            "bn/moving_variance:0"]
    (penalty,) = dense.losses
    loss = tf.reduce_mean(y) + penalty
    with tf.control_dependencies(bn.updates):
        train = tf.identity(loss)
    data = np.array([[1.0, 2.0, 3.0], [3.0, 6.0, 9.0]], np.float32)
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {x: data})
        np.testing.assert_allclose(sess.run("bn/moving_mean:0"), 0.5 * data.mean(0),
                                   rtol=1e-6)
        # TF1 l2_regularizer: scale * l2_loss = scale * sum(w ** 2) / 2
        assert sess.run(penalty) == pytest.approx(0.5 * 6 / 2)


def _contrib_layers_graph(impl, backend):
    """Variables (name, collections, initial value) and outputs of TF1 contrib.layers
    pieces from `impl` (a module-like object) in a fresh graph."""
    graph = tf2.Graph()
    with graph.as_default():
        tf2.compat.v1.set_random_seed(11)
        x = tf2.constant(np.arange(12, dtype=np.float32).reshape(4, 3) / 7.0)
        h = impl.fully_connected(x, 5, weights_regularizer=impl.l2_regularizer(0.3),
                                 variables_collections={"weights": ["w"], "biases": ["b"]},
                                 outputs_collections=["out"])
        # reused: no second regularization loss
        impl.fully_connected(x, 5, weights_regularizer=impl.l2_regularizer(0.3),
                             scope="fully_connected", reuse=True)
        y = impl.fully_connected(h, 2, activation_fn=None, scope="head",
                                 weights_initializer=impl.variance_scaling_initializer(
                                     factor=1.0, mode="FAN_AVG", uniform=True, seed=2),
                                 biases_initializer=None)
        init = impl.xavier_initializer(uniform=False, seed=4)([6, 3])
        reg = impl.apply_regularization(impl.l1_regularizer(0.1), tf2.compat.v1.get_collection("w"))
    keys = sorted(k for k in graph.get_all_collection_keys() if k != "update_ops")
    collections = {k: [getattr(v, "name", None) for v in graph.get_collection(k)] for k in keys}
    with compat.Session(graph=graph, backend=backend) as sess:
        sess.run(tf2.compat.v1.variables_initializer(
            graph.get_collection(tf2.compat.v1.GraphKeys.GLOBAL_VARIABLES)))
        values = sess.run([h, y, init, reg])
    return collections, values


def test_own_contrib_layers_match_tf_1_15s_code_in_tf_slim(backend):
    """compat's own contrib.layers pieces (served when tf-slim is not installed)
    against TF 1.15's code (tf-slim's copy): same variables, collections and values."""
    from compat.tf1 import restored as _legacy
    from compat.tf1 import contrib as own

    tf_slim_layers = _legacy._tf_slim("tf_slim.layers")
    got = _contrib_layers_graph(own, backend)
    want = _contrib_layers_graph(tf_slim_layers, backend)
    assert got[0] == want[0]
    for g, w in zip(got[1], want[1]):
        np.testing.assert_array_equal(g, w)
