"""tf.contrib.training.HParams, contrib.opt (lazy Adam, decoupled weight decay),
contrib.data, contrib.stateless and contrib.util through the shim, on both backends:
values against NumPy references of TF 1.15's documented updates, and backend parity."""

import json

import numpy as np
import pytest

import compat
import compat.v1 as tf
from compat.tf1.errors import RemovedAPIError


# --- contrib.training.HParams ---------------------------------------------------------
def test_hparams_typed_values_parse_and_json():
    from compat.v1.contrib.training import HParams

    hp = HParams(learning_rate=0.1, layers=[64, 32], name="fm", use_bias=True, steps=10)
    assert hp.learning_rate == 0.1 and hp.layers == [64, 32] and "steps" in hp
    assert hp.parse("learning_rate=2,layers=[128, 64,16],use_bias=false,name=bpr") is hp
    assert hp.learning_rate == 2.0 and isinstance(hp.learning_rate, float)
    assert hp.layers == [128, 64, 16] and hp.use_bias is False and hp.name == "bpr"
    hp.parse("layers[1]=8,use_bias=1")
    assert hp.layers == [128, 8, 16] and hp.use_bias is True
    assert json.loads(hp.to_json()) == hp.values()
    other = HParams(learning_rate=0.0, layers=[1], name="", use_bias=False, steps=0)
    assert other.parse_json(hp.to_json()).values() == hp.values()
    assert str(HParams(a=1, b="x")) == "a=1,b=x"
    assert repr(HParams(b=2, a=1)) == "HParams([('a', 1), ('b', 2)])"
    hp.add_hparam("dropout", 0.5)
    hp.set_hparam("steps", 20)
    hp.del_hparam("name")
    assert hp.values() == {"learning_rate": 2.0, "layers": [128, 8, 16], "use_bias": True,
                           "steps": 20, "dropout": 0.5}
    assert hp.get("steps", 1) == 20 and hp.get("missing", 3) == 3
    hp.set_model_structure({"towers": 2})
    assert hp.get_model_structure() == {"towers": 2}


@pytest.mark.parametrize("call, message", [
    (lambda hp: hp.parse("lr=abc"), "Could not parse hparam 'lr'"),
    (lambda hp: hp.parse("nope=1"), "Unknown hyperparameter type for nope"),
    (lambda hp: hp.parse("lr=1,lr=2"), "Multiple assignments to variable 'lr'"),
    (lambda hp: hp.parse("lr"), "Malformed hyperparameter value"),
    (lambda hp: hp.parse("sizes[5]=1"), "out of range"),
    (lambda hp: hp.set_hparam("steps", 1.5), "Could not cast hparam 'steps'"),
    (lambda hp: hp.set_hparam("flag", 1), "Could not cast hparam 'flag'"),
    (lambda hp: hp.set_hparam("name", 3), "Could not cast hparam 'name'"),
    (lambda hp: hp.set_hparam("sizes", 3), "Must pass a list"),
    (lambda hp: hp.set_hparam("lr", [1.0]), "Must not pass a list"),
    (lambda hp: hp.add_hparam("lr", 1.0), "Hyperparameter name is reserved: lr"),
    (lambda hp: hp.add_hparam("values", 1), "Hyperparameter name is reserved: values"),
    (lambda hp: hp.add_hparam("empty", []), "cannot be empty"),
    (lambda hp: hp.get("steps", "x"), "incompatible with default=x"),
    (lambda hp: hp.override_from_dict({"lr": 0.5, "steps": 0.5}), "Could not cast"),
])
def test_hparams_bad_values_raise_value_error_and_change_nothing(call, message):
    from compat.v1.contrib.training import HParams

    hp = HParams(lr=0.1, steps=3, flag=False, name="a", sizes=[1, 2])
    before = hp.values()
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        call(hp)
    assert hp.values() == before
    with pytest.raises(KeyError):
        hp.set_hparam("unknown", 1)
    with pytest.raises(NotImplementedError, match="HParamDef"):
        HParams(hparam_def=object())


# --- contrib.opt -----------------------------------------------------------------------
B1, B2, EPS = np.float32(0.9), np.float32(0.999), 1e-8  # TF computes in float32
BATCHES = [np.array([1, 3, 3, 7]), np.array([0, 3]), np.array([7, 7, 2])]
EMB0 = np.arange(24, dtype=np.float32).reshape(8, 3) / 10.0
TARGET = np.array([1.0, -2.0, 0.5], np.float32)


def _sparse_grad(ids):
    """d/d emb of sum(gather(emb, ids) * TARGET): one TARGET row per occurrence."""
    grad = np.zeros_like(EMB0)
    for i in ids:
        grad[i] += TARGET
    return grad


def _train(backend, make_optimizer, use_resource=True, steps=BATCHES, decay_vars=None):
    """Trains emb (sparse gradients) and w (dense gradients) one step per id batch;
    returns ({name: value} of every variable after each step, variable names)."""
    graph = tf.Graph()
    with graph.as_default():
        emb = tf.get_variable("emb", initializer=EMB0, use_resource=use_resource)
        w = tf.get_variable("w", initializer=np.array([0.5, -1.0, 2.0], np.float32),
                            use_resource=use_resource)
        ids = tf.placeholder(tf.int32, [None], name="ids")
        loss = tf.reduce_sum(tf.gather(emb, ids) * TARGET) + tf.reduce_sum(w * TARGET)
        opt = make_optimizer()
        if decay_vars is None:
            train = opt.minimize(loss)
        else:
            decay = [{"emb": emb, "w": w}[n] for n in decay_vars]
            train = opt.apply_gradients(opt.compute_gradients(loss), decay_var_list=decay)
        names = [v.op.name for v in tf.global_variables()]
        init = tf.global_variables_initializer()
    history = []
    with tf.Session(graph=graph, backend=backend) as sess:
        sess.run(init)
        for batch in steps:
            sess.run(train, {ids: batch})
            history.append(dict(zip(names, sess.run([n + ":0" for n in names]))))
    return history, names


def _adam_dense(value, m, v, grad, t, lr):
    m = B1 * m + (1 - B1) * grad
    v = B2 * v + (1 - B2) * grad * grad
    alpha = lr * np.sqrt(1 - B2 ** t) / (1 - B1 ** t)
    return value - alpha * m / (np.sqrt(v) + EPS), m, v


@pytest.mark.parametrize("use_resource", [True, False], ids=["resource", "ref"])
def test_lazy_adam_updates_only_the_rows_a_batch_touches(backend, use_resource):
    history, names = _train(backend, lambda: tf.contrib.opt.LazyAdamOptimizer(0.1),
                            use_resource)
    # TF1 Adam's variables and slot names, so checkpoints carry over
    assert names == ["emb", "w", "beta1_power", "beta2_power", "emb/Adam", "emb/Adam_1",
                     "w/Adam", "w/Adam_1"]
    emb, m, v = EMB0.astype(np.float64), np.zeros((8, 3)), np.zeros((8, 3))
    for t, (ids, got) in enumerate(zip(BATCHES, history), start=1):
        rows = np.unique(ids)
        grad = _sparse_grad(ids)[rows]
        new_emb, new_m, new_v = _adam_dense(emb[rows], m[rows], v[rows], grad, t, 0.1)
        emb[rows], m[rows], v[rows] = new_emb, new_m, new_v
        np.testing.assert_allclose(got["emb"], emb, rtol=1e-5)
        np.testing.assert_allclose(got["emb/Adam"], m, rtol=1e-5)
        np.testing.assert_allclose(got["emb/Adam_1"], v, rtol=1e-5)
        untouched = np.setdiff1d(np.arange(8), rows)
        previous = history[t - 2] if t > 1 else {"emb": EMB0, "emb/Adam": np.zeros((8, 3))}
        np.testing.assert_array_equal(got["emb"][untouched], previous["emb"][untouched])
        np.testing.assert_array_equal(got["emb/Adam"][untouched],
                                      previous["emb/Adam"][untouched])
    # dense gradients: Adam's update
    w, wm, wv = np.array([0.5, -1.0, 2.0]), np.zeros(3), np.zeros(3)
    for t in range(1, len(BATCHES) + 1):
        w, wm, wv = _adam_dense(w, wm, wv, TARGET, t, 0.1)
    np.testing.assert_allclose(history[-1]["w"], w, rtol=1e-5)
    np.testing.assert_allclose(history[-1]["beta1_power"], B1 ** 4, rtol=1e-6)


def test_lazy_adam_differs_from_adam_only_in_untouched_rows(backend):
    lazy, _ = _train(backend, lambda: tf.contrib.opt.LazyAdamOptimizer(0.1))
    adam, _ = _train(backend, lambda: tf.train.AdamOptimizer(0.1))
    # first step: every moment is zero, so both touch the same rows by the same amounts
    np.testing.assert_allclose(lazy[0]["emb"], adam[0]["emb"], rtol=1e-6)
    # later: Adam keeps moving rows with non-zero moments that the batch does not touch
    assert not np.allclose(lazy[1]["emb"][1], adam[1]["emb"][1])


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_adamw_decays_weights_before_the_adam_update(backend, sparse):
    wd, lr = 0.05, 0.1
    history, names = _train(backend, lambda: tf.contrib.opt.AdamWOptimizer(wd, lr),
                            decay_vars=["emb"] if sparse else None)
    assert "emb/AdamW" in names and "w/AdamW_1" in names
    if sparse:
        # TF 1.15: minimize() passes no decay_var_list on to its own apply_gradients()
        # call, which resets it, so minimize(decay_var_list=...) decays every variable
        graph = tf.Graph()
        with graph.as_default():
            a = tf.get_variable("a", initializer=1.0)
            b = tf.get_variable("b", initializer=1.0)
            train = tf.contrib.opt.AdamWOptimizer(0.5, 0.0).minimize(a + b,
                                                                     decay_var_list=[a])
            init = tf.global_variables_initializer()
        with tf.Session(graph=graph, backend=backend) as sess:
            sess.run(init)
            sess.run(train)
            assert sess.run([a, b]) == [0.5, 0.5]
    emb, m, v = EMB0.astype(np.float64), np.zeros((8, 3)), np.zeros((8, 3))
    w, wm, wv = np.array([0.5, -1.0, 2.0]), np.zeros(3), np.zeros(3)
    for t, (ids, got) in enumerate(zip(BATCHES, history), start=1):
        rows = np.unique(ids)
        emb[rows] -= wd * emb[rows]  # sparse gradients decay only their rows
        emb, m, v = _adam_dense(emb, m, v, _sparse_grad(ids), t, lr)
        if not sparse:  # decay_var_list=["emb"] leaves w undecayed
            w = w - wd * w
        w, wm, wv = _adam_dense(w, wm, wv, TARGET, t, lr)
        np.testing.assert_allclose(got["emb"], emb, rtol=1e-5)
        np.testing.assert_allclose(got["w"], w, rtol=1e-5)


def test_momentumw_and_extended_optimizers(backend):
    wd, lr, mom = 0.1, 0.05, 0.9
    history, names = _train(backend, lambda: tf.contrib.opt.MomentumWOptimizer(wd, lr, mom),
                            steps=BATCHES[:2])
    assert names[-2:] == ["emb/MomentumW", "w/MomentumW"]
    sgdw = tf.contrib.opt.extend_with_decoupled_weight_decay(tf.train.GradientDescentOptimizer)
    plain, _ = _train(backend, lambda: sgdw(wd, lr), steps=BATCHES[:2])
    w, acc, sgd_w = np.array([0.5, -1.0, 2.0]), np.zeros(3), np.array([0.5, -1.0, 2.0])
    for got, sgd in zip(history, plain):
        w = w - wd * w
        acc = mom * acc + TARGET
        w = w - lr * acc
        sgd_w = sgd_w - wd * sgd_w - lr * TARGET
        np.testing.assert_allclose(got["w"], w, rtol=1e-5)
        np.testing.assert_allclose(sgd["w"], sgd_w, rtol=1e-5)
    assert isinstance(sgdw(0.1, 0.1), tf.train.GradientDescentOptimizer)
    assert isinstance(tf.contrib.opt.LazyAdamOptimizer(), tf.train.AdamOptimizer)


def test_contrib_optimizers_agree_across_backends():
    for make in (lambda: tf.contrib.opt.LazyAdamOptimizer(0.1),
                 lambda: tf.contrib.opt.AdamWOptimizer(0.05, 0.1)):
        graph, _ = _train("graph", make)
        eager, _ = _train("eager", make)
        for g, e in zip(graph, eager):
            for name in g:
                np.testing.assert_array_equal(g[name], e[name], err_msg=name)


# --- contrib.data, contrib.stateless, contrib.util -----------------------------------------
def _dataset_values(backend, build):
    graph = tf.Graph()
    with graph.as_default():
        next_element = tf.data.make_one_shot_iterator(build()).get_next()
    out = []
    with tf.Session(graph=graph, backend=backend) as sess:
        while True:
            try:
                out.append(sess.run(next_element))
            except tf.errors.OutOfRangeError:
                return out


@pytest.fixture(scope="module")
def graph_shuffle():
    return _dataset_values("graph", lambda: tf.data.Dataset.range(5).apply(
        tf.contrib.data.shuffle_and_repeat(5, count=2, seed=3)))


def test_contrib_data_transformations(backend, graph_shuffle):
    data = tf.contrib.data
    got = _dataset_values(backend, lambda: tf.data.Dataset.range(7).apply(
        data.batch_and_drop_remainder(3)))
    assert [list(b) for b in got] == [[0, 1, 2], [3, 4, 5]]
    got = _dataset_values(backend, lambda: tf.data.Dataset.range(7).apply(
        data.sliding_window_batch(3, window_shift=2)))
    assert [list(b) for b in got] == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    got = _dataset_values(backend, lambda: tf.data.Dataset.from_tensor_slices(
        (np.arange(5), np.arange(5) * 10)).apply(data.sliding_window_batch(2, stride=3)))
    assert [(list(a), list(b)) for a, b in got] == [([0, 1], [0, 10]), ([3, 4], [30, 40])]
    got = _dataset_values(backend, lambda: tf.data.Dataset.range(5).map(
        lambda x: tf.fill([x], x)).apply(data.padded_batch_and_drop_remainder(2, [None])))
    assert [b.tolist() for b in got] == [[[0], [1]], [[2, 2, 0], [3, 3, 3]]]
    got = _dataset_values(backend, lambda: tf.data.Dataset.range(6).apply(
        data.map_and_batch(lambda x: x * 2, 4)))
    assert [list(b) for b in got] == [[0, 2, 4, 6], [8, 10]]
    shuffled = _dataset_values(backend, lambda: tf.data.Dataset.range(5).apply(
        data.shuffle_and_repeat(5, count=2, seed=3)))
    assert sorted(shuffled) == sorted(list(range(5)) * 2)
    assert shuffled == graph_shuffle and shuffled != sorted(shuffled)
    with pytest.raises(ValueError, match="both `stride` and `window_shift`"):
        data.sliding_window_batch(2, stride=1, window_shift=1)


def _stateless_graph():
    graph = tf.Graph()
    with graph.as_default():
        seed = tf.placeholder(tf.int64, [2])
        draws = [tf.contrib.stateless.stateless_random_uniform([3, 4], seed),
                 tf.contrib.stateless.stateless_random_normal([5], seed, tf.float64),
                 tf.contrib.stateless.stateless_truncated_normal([1000], seed),
                 tf.contrib.stateless.stateless_multinomial(tf.log([[0.5, 0.5, 1e-9]]), 50,
                                                           seed)]
    return graph, seed, draws


@pytest.fixture(scope="module")
def graph_draws():
    graph, seed, draws = _stateless_graph()
    with tf.Session(graph=graph, backend="graph") as sess:
        return sess.run(draws, {seed: [1, 2]})


def test_contrib_stateless_random_ops(backend, graph_draws):
    graph, seed, draws = _stateless_graph()
    with tf.Session(graph=graph, backend=backend) as sess:
        first = sess.run(draws, {seed: [1, 2]})
        again = sess.run(draws, {seed: [1, 2]})
        other = sess.run(draws, {seed: [1, 3]})
    for a, b, c in zip(first, again, other):
        np.testing.assert_array_equal(a, b)  # a function of the seed only
        assert not np.array_equal(a, c)
    uniform, normal, truncated, classes = first
    assert uniform.shape == (3, 4) and 0 <= uniform.min() and uniform.max() < 1
    assert normal.dtype == np.float64 and np.abs(truncated).max() <= 2
    assert classes.dtype == np.int64 and set(classes.ravel()) <= {0, 1}
    for a, b in zip(first, graph_draws):
        np.testing.assert_array_equal(a, b)


def test_contrib_util_tensor_protos(backend):
    value = np.arange(6, dtype=np.int32).reshape(2, 3)
    proto = tf.contrib.util.make_tensor_proto(value)
    np.testing.assert_array_equal(tf.contrib.util.make_ndarray(proto), value)
    const = tf.constant(value)
    np.testing.assert_array_equal(tf.contrib.util.constant_value(const), value)
    assert list(tf.contrib.util.constant_value(tf.shape(const))) == [2, 3]
    assert tf.contrib.util.constant_value(tf.placeholder(tf.float32)) is None
    with tf.Session(backend=backend) as sess:
        np.testing.assert_array_equal(sess.run(tf.constant(proto)), value)


@pytest.mark.parametrize("path, hint", [
    ("opt.ShampooOptimizer", "LazyAdamOptimizer, AdamWOptimizer"),
    ("training.bucket_by_sequence_length", "HParams is covered"),
    ("data.LMDBDataset", "tf.data"),
    ("stateless.no_such_op", "not covered by compat"),
])
def test_uncovered_parts_of_covered_contrib_modules(path, hint):
    module, name = path.split(".")
    with pytest.raises(RemovedAPIError) as info:
        getattr(getattr(tf.contrib, module), name)
    assert f"tf.contrib.{path}" in str(info.value) and hint in str(info.value)


# --- contrib.rnn's fused LSTM cells ------------------------------------------------------
def _lstm_run(backend, kind, weights=None):
    """A batch-major [4, 6, 3] sequence with lengths through `kind` ("lstm": LSTMCell,
    "block": LSTMBlockCell, both in dynamic_rnn; "fused": LSTMBlockFusedCell, time-major);
    returns (variable names, initial values, [outputs, final c, final h, gradients of
    every variable and of the inputs])."""
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(3)
        x = tf.placeholder(tf.float32, [4, None, 3])
        lengths = tf.placeholder(tf.int32, [4])
        if kind == "fused":
            cell = tf.contrib.rnn.LSTMBlockFusedCell(5)
            out, state = cell(tf.transpose(x, [1, 0, 2]), dtype=tf.float32,
                              sequence_length=lengths)
            out = tf.transpose(out, [1, 0, 2])
        else:
            cell = tf.contrib.rnn.LSTMBlockCell(5) if kind == "block" else \
                tf.nn.rnn_cell.LSTMCell(5)
            out, state = tf.nn.dynamic_rnn(cell, x, sequence_length=lengths,
                                           dtype=tf.float32)
        loss = tf.reduce_sum(out * out) + tf.reduce_sum(state.c)
        variables = tf.trainable_variables()
        grads = tf.gradients(loss, variables + [x])
        init = tf.global_variables_initializer()
    rng = np.random.RandomState(0)
    feed = {x: rng.randn(4, 6, 3).astype(np.float32), lengths: [6, 3, 1, 5]}
    with tf.Session(graph=graph, backend=backend) as sess:
        sess.run(init)
        initial = sess.run(variables)
        for var, value in zip(variables, weights or ()):
            var.load(value, sess)
        values = sess.run([out, state.c, state.h] + grads, feed)
    return [v.op.name for v in variables], initial, values


@pytest.fixture(scope="module")
def lstm_cell_run():
    return _lstm_run("graph", "lstm")


@pytest.mark.parametrize("kind", ["block", "fused"])
def test_fused_lstm_cells_compute_lstm_cell_numbers(backend, kind, lstm_cell_run):
    lstm_names, lstm_init, want = lstm_cell_run
    names, initial, _ = _lstm_run(backend, kind)
    if kind == "block":  # LSTMCell's variables: names and (seeded) initial values
        assert names == lstm_names == ["rnn/lstm_cell/kernel", "rnn/lstm_cell/bias"]
        for a, b in zip(initial, lstm_init):
            np.testing.assert_array_equal(a, b)
    else:
        assert names == ["lstm_fused_cell/kernel", "lstm_fused_cell/bias"]
    _, _, got = _lstm_run(backend, kind, weights=lstm_init)
    # outputs past each length are zero and the final state is the last valid step's,
    # as dynamic_rnn gives; gradients through TF1's LSTMBlockCell gradient / BlockLSTM's
    for a, b, what in zip(want, got, ["outputs", "c", "h", "d kernel", "d bias", "d x"]):
        np.testing.assert_allclose(b, a, rtol=2e-5, atol=1e-6, err_msg=what)
    assert not got[0][2, 1:].any()


def test_fused_lstm_cells_check_their_arguments():
    with pytest.raises(ValueError, match="initial_state or dtype"):
        tf.contrib.rnn.LSTMBlockFusedCell(2)(tf.zeros([3, 1, 2]))
    with pytest.raises(ValueError, match="Expecting state to be a tuple with length 2"):
        tf.contrib.rnn.LSTMBlockCell(2)(tf.zeros([1, 2]), (tf.zeros([1, 2]),))
    outputs, state = tf.contrib.rnn.LSTMBlockFusedCell(2, name="listed")(
        [tf.zeros([1, 3]), tf.zeros([1, 3])], dtype=tf.float32)
    assert isinstance(outputs, list) and len(outputs) == 2
    assert isinstance(state, tf.nn.rnn_cell.LSTMStateTuple)


# --- contrib.crf ---------------------------------------------------------------------------
def _crf_brute_force(x, transitions, tags, lengths):
    """Log-likelihoods, best paths (padded with 0) and best scores by enumerating every
    tag sequence."""
    import itertools

    def score(b, path):
        return sum(x[b, t, k] for t, k in enumerate(path)) + sum(
            transitions[a, c] for a, c in zip(path, path[1:]))

    likelihoods, paths, bests = [], [], []
    for b, n in enumerate(lengths):
        if n == 0:  # TF 1.15: an empty sequence decodes as its first step
            likelihoods.append(0.0)
            paths.append([int(np.argmax(x[b, 0]))] + [0] * (x.shape[1] - 1))
            bests.append(x[b, 0].max())
            continue
        every = list(itertools.product(range(x.shape[2]), repeat=n))
        scores = np.array([score(b, p) for p in every], np.float64)
        log_norm = np.log(np.exp(scores - scores.max()).sum()) + scores.max()
        likelihoods.append(score(b, tags[b, :n]) - log_norm)
        paths.append(list(every[int(np.argmax(scores))]) + [0] * (x.shape[1] - n))
        bests.append(scores.max())
    return np.array(likelihoods), np.array(paths), np.array(bests)


def test_contrib_crf_against_brute_force(backend):
    rng = np.random.RandomState(0)
    x = rng.randn(4, 5, 3).astype(np.float32)
    transitions = rng.randn(3, 3).astype(np.float32)
    tags = rng.randint(0, 3, (4, 5)).astype(np.int32)
    lengths = np.array([5, 3, 1, 0], np.int32)
    potentials = tf.placeholder(tf.float32, [None, None, 3])
    tag_ids = tf.placeholder(tf.int32, [None, None])
    seq_len = tf.placeholder(tf.int32, [None])
    with tf.variable_scope("crf"):
        likelihood, trans = tf.contrib.crf.crf_log_likelihood(potentials, tag_ids, seq_len)
    assert trans.op.name == "crf/transitions"  # TF1's variable when none is given
    decoded, best = tf.contrib.crf.crf_decode(potentials, trans, seq_len)
    grad = tf.gradients(tf.reduce_sum(likelihood), [potentials, trans])
    feeds = {potentials: x, tag_ids: tags, seq_len: lengths}
    with tf.Session(backend=backend) as sess:
        trans.load(transitions, sess)
        got = sess.run([likelihood, decoded, best] + grad, feeds)
        single = sess.run([likelihood, decoded], {potentials: x[:, :1], tag_ids: tags[:, :1],
                                                  seq_len: np.minimum(lengths, 1)})
    want_ll, want_paths, want_best = _crf_brute_force(x, transitions, tags, lengths)
    np.testing.assert_allclose(got[0], want_ll, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got[1], want_paths)
    np.testing.assert_allclose(got[2], want_best, rtol=1e-5)
    assert np.all(np.isfinite(got[3])) and not got[3][3].any()  # no gradient past length
    want_ll1, want_paths1, _ = _crf_brute_force(x[:, :1], transitions, tags[:, :1],
                                                np.minimum(lengths, 1))
    np.testing.assert_allclose(single[0], want_ll1, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(single[1], want_paths1)
    for b in range(3):
        path, score = tf.contrib.crf.viterbi_decode(x[b, :lengths[b]], transitions)
        assert path == list(want_paths[b, :lengths[b]])
        np.testing.assert_allclose(score, want_best[b], rtol=1e-5)


# --- contrib.seq2seq.sequence_loss -----------------------------------------------------
@pytest.mark.parametrize("reduction, axis", [
    ({}, "all"),
    ({"average_across_timesteps": False}, 0),
    ({"average_across_batch": False}, 1),
    ({"average_across_timesteps": False, "average_across_batch": False}, None),
    ({"average_across_timesteps": False, "average_across_batch": False,
      "sum_over_timesteps": True, "sum_over_batch": True}, "count"),
    ({"average_across_timesteps": False, "average_across_batch": False,
      "sum_over_batch": True}, "count0"),
])
def test_contrib_seq2seq_sequence_loss(backend, reduction, axis):
    rng = np.random.RandomState(1)
    logits = rng.randn(3, 4, 5).astype(np.float32)
    targets = rng.randint(0, 5, (3, 4)).astype(np.int32)
    weights = np.array([[1, 1, 1, 0], [1, 1, 0, 0], [2, 0.5, 1, 1]], np.float32)
    loss = tf.contrib.seq2seq.sequence_loss(tf.constant(logits), tf.constant(targets),
                                            tf.constant(weights), **reduction)
    with tf.Session(backend=backend) as sess:
        got = sess.run(loss)
    shifted = logits - logits.max(-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    token = -np.take_along_axis(log_probs, targets[..., None], -1)[..., 0] * weights
    want = {"all": token.sum() / weights.sum(), 0: token.sum(0) / weights.sum(0),
            1: token.sum(1) / weights.sum(1), None: token,
            "count": token.sum() / np.count_nonzero(weights),
            "count0": token.sum(0) / np.count_nonzero(weights, 0)}[axis]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    with pytest.raises(ValueError, match="cannot be set to True at same time"):
        tf.contrib.seq2seq.sequence_loss(tf.constant(logits), tf.constant(targets),
                                         tf.constant(weights), sum_over_batch=True)
    with pytest.raises(ValueError, match="Logits must be"):
        tf.contrib.seq2seq.sequence_loss(tf.constant(targets), tf.constant(targets),
                                         tf.constant(weights))


# --- contrib.seq2seq's decoders -------------------------------------------------------
S2S_BATCH, S2S_TIME, S2S_DEPTH, S2S_UNITS, S2S_VOCAB = 3, 5, 4, 6, 7


def test_contrib_seq2seq_teacher_forcing_decodes_like_the_unrolled_cell(backend):
    """TrainingHelper + BasicDecoder + dynamic_decode(impute_finished=True): each
    sequence's outputs are the cell + output layer unrolled by hand on its inputs, zeros
    after its length; its final state is the state at its last step; variables live
    under TF1's names; the decoder trains."""
    rng = np.random.RandomState(0)
    x = rng.randn(S2S_BATCH, S2S_TIME, S2S_DEPTH).astype(np.float32)
    lengths = np.array([5, 2, 3], np.int32)
    targets = rng.randint(0, S2S_VOCAB, (S2S_BATCH, S2S_TIME)).astype(np.int32)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(1)
        cell = tf.nn.rnn_cell.BasicLSTMCell(S2S_UNITS)
        projection = tf.layers.Dense(S2S_VOCAB, name="projection")
        initial = cell.zero_state(S2S_BATCH, tf.float32)
        helper = tf.contrib.seq2seq.TrainingHelper(tf.constant(x), tf.constant(lengths))
        decoder = tf.contrib.seq2seq.BasicDecoder(cell, helper, initial, projection)
        outputs, state, seq_lengths = tf.contrib.seq2seq.dynamic_decode(
            decoder, impute_finished=True)
        assert outputs.rnn_output.shape.as_list() == [S2S_BATCH, None, S2S_VOCAB]
        with tf.variable_scope("decoder", reuse=True):
            unrolled, unrolled_h, s = [], [], initial
            for t in range(S2S_TIME):
                out, s = cell(tf.constant(x[:, t]), s)
                unrolled.append(projection(out))
                unrolled_h.append(s.h)
        loss = tf.contrib.seq2seq.sequence_loss(
            outputs.rnn_output, tf.constant(targets),
            tf.sequence_mask(lengths, S2S_TIME, tf.float32))
        train = tf.train.AdamOptimizer(0.1).minimize(loss)
        names = sorted(v.op.name for v in tf.trainable_variables())
    assert names == ["decoder/basic_lstm_cell/bias", "decoder/basic_lstm_cell/kernel",
                     "decoder/projection/bias", "decoder/projection/kernel"]
    with tf.Session(graph=graph, backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        got, ids, got_lengths, final_h, want, want_h = sess.run(
            [outputs.rnn_output, outputs.sample_id, seq_lengths, state.h, unrolled,
             unrolled_h])
        losses = [sess.run([loss, train])[0] for _ in range(5)]
    np.testing.assert_array_equal(got_lengths, lengths)
    want = np.stack(want, 1)
    for b, n in enumerate(lengths):
        np.testing.assert_allclose(got[b, :n], want[b, :n], rtol=1e-5, atol=1e-6)
        assert not got[b, n:].any()
        np.testing.assert_allclose(final_h[b], want_h[n - 1][b], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(ids[b, :n], got[b, :n].argmax(-1))
    assert losses == sorted(losses, reverse=True)


def _inference_graph(kind, max_steps=6):
    """A GRU decoder fed back its own ids (greedy or sampled, seed 3), the end token a
    placeholder; with a hand-unrolled greedy chain of the same variables."""
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(2)
        embedding = tf.get_variable("embedding", [S2S_VOCAB, S2S_DEPTH])
        end = tf.placeholder(tf.int32, [], name="end_token")
        start = tf.fill([S2S_BATCH], 1)
        if kind == "greedy":
            helper = tf.contrib.seq2seq.GreedyEmbeddingHelper(embedding, start, end)
        else:
            helper = tf.contrib.seq2seq.SampleEmbeddingHelper(embedding, start, end,
                                                              softmax_temperature=0.5, seed=3)
        cell = tf.nn.rnn_cell.GRUCell(S2S_UNITS)
        projection = tf.layers.Dense(S2S_VOCAB, name="projection")
        decoder = tf.contrib.seq2seq.BasicDecoder(
            cell, helper, cell.zero_state(S2S_BATCH, tf.float32), projection)
        outputs, _, lengths = tf.contrib.seq2seq.dynamic_decode(
            decoder, maximum_iterations=max_steps, output_time_major=kind != "greedy")
        chain, inputs, s = [], tf.nn.embedding_lookup(embedding, start), None
        with tf.variable_scope("decoder", reuse=True):
            s = cell.zero_state(S2S_BATCH, tf.float32)
            for _ in range(max_steps):
                out, s = cell(inputs, s)
                ids = tf.argmax(projection(out), -1, output_type=tf.int32)
                chain.append(ids)
                inputs = tf.nn.embedding_lookup(embedding, ids)
        init = tf.global_variables_initializer()
    return graph, init, end, outputs, lengths, tf.stack(chain, 1)


def _decode(backend, kind):
    graph, init, end, outputs, lengths, chain = _inference_graph(kind)
    with tf.Session(graph=graph, backend=backend) as sess:
        sess.run(init)
        hand = sess.run(chain)
        end_token = int(hand[0, 2])  # the greedy chain of sequence 0 ends at step 3
        return hand, end_token, sess.run([outputs.sample_id, lengths], {end: end_token})


@pytest.fixture(scope="module")
def graph_sampled_decode():
    return _decode("graph", "sampled")


def test_contrib_seq2seq_greedy_and_sampled_inference(backend, graph_sampled_decode):
    """GreedyEmbeddingHelper: the ids are the argmax chain unrolled by hand, a sequence
    ends at its first end token (length = that step + 1, else maximum_iterations) and
    decoding stops when all have ended. SampleEmbeddingHelper (seeded): the same draws on
    both backends, each length at the sequence's first end token."""
    hand, end_token, (ids, lengths) = _decode(backend, "greedy")
    want = [list(row).index(end_token) + 1 if end_token in row else 6 for row in hand]
    np.testing.assert_array_equal(lengths, want)
    assert ids.shape == (S2S_BATCH, max(want))
    np.testing.assert_array_equal(ids, hand[:, :max(want)])
    hand, end_token, (ids, lengths) = _decode(backend, "sampled")
    ids = ids.T  # output_time_major
    for row, n in zip(ids, lengths):
        assert n == (list(row).index(end_token) + 1 if end_token in row else 6)
    np.testing.assert_array_equal(ids, graph_sampled_decode[2][0].T)
    np.testing.assert_array_equal(lengths, graph_sampled_decode[2][1])


def test_contrib_seq2seq_decoder_argument_errors():
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.GRUCell(2)
        helper = tf.contrib.seq2seq.TrainingHelper(tf.zeros([2, 3, 1]), [3, 1])
        with pytest.raises(ValueError, match="sequence_length to be a vector"):
            tf.contrib.seq2seq.TrainingHelper(tf.zeros([2, 3, 1]), [[3, 1]])
        with pytest.raises(ValueError, match="end_token must be a scalar"):
            tf.contrib.seq2seq.GreedyEmbeddingHelper(tf.zeros([4, 2]), [1, 1], [0])
        with pytest.raises(TypeError, match="helper must be a Helper"):
            tf.contrib.seq2seq.BasicDecoder(cell, object(), cell.zero_state(2, tf.float32))
        with pytest.raises(TypeError, match="is not an RNNCell"):
            tf.contrib.seq2seq.BasicDecoder(object(), helper, None)
        with pytest.raises(TypeError, match="Expected decoder to be type Decoder"):
            tf.contrib.seq2seq.dynamic_decode(helper)
        decoder = tf.contrib.seq2seq.BasicDecoder(cell, helper, cell.zero_state(2, tf.float32))
        with pytest.raises(ValueError, match="maximum_iterations must be a scalar"):
            tf.contrib.seq2seq.dynamic_decode(decoder, maximum_iterations=[3])
    with pytest.raises(RemovedAPIError) as info:
        tf.contrib.seq2seq.BeamSearchDecoderV2  # noqa: B018
    assert "BasicDecoder, dynamic_decode" in str(info.value)


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("kind", ["luong", "bahdanau"])
def test_contrib_seq2seq_attention_step_against_numpy(backend, kind):
    """One AttentionWrapper step (output_attention=False): the alignments are the
    softmax of TF1's Luong (scaled) / Bahdanau (normalized) scores of the cell output
    against the projected memory, -inf past memory_sequence_length; the attention is
    [cell output, alignments . memory] through the attention layer."""
    rng = np.random.RandomState(3)
    memory = rng.randn(S2S_BATCH, 4, S2S_UNITS).astype(np.float32)
    memory_lengths = np.array([4, 1, 3], np.int32)
    x = rng.randn(S2S_BATCH, S2S_DEPTH).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(4)
        if kind == "luong":
            mechanism = tf.contrib.seq2seq.LuongAttention(
                S2S_UNITS, tf.constant(memory), memory_sequence_length=memory_lengths,
                scale=True)
        else:
            mechanism = tf.contrib.seq2seq.BahdanauAttention(
                5, tf.constant(memory), memory_sequence_length=memory_lengths,
                normalize=True)
        cell = tf.contrib.seq2seq.AttentionWrapper(
            tf.nn.rnn_cell.GRUCell(S2S_UNITS), mechanism, attention_layer_size=3,
            output_attention=False)
        state = cell.zero_state(S2S_BATCH, tf.float32)
        output, next_state = cell(tf.constant(x), state)
        variables = {v.op.name: v for v in tf.global_variables()}
        init = tf.global_variables_initializer()
    with tf.Session(graph=graph, backend=backend) as sess:
        sess.run(init)
        h, attention, alignments, weights = sess.run(
            [output, next_state.attention, next_state.alignments, variables])
    keys = memory @ weights["memory_layer/kernel"]
    scope = "attention_wrapper/"
    if kind == "luong":
        score = weights[scope + "luong_attention/attention_g"] * np.einsum("bu,btu->bt", h, keys)
    else:
        b = scope + "bahdanau_attention/"
        v = weights[b + "attention_v"]
        normed_v = weights[b + "attention_g"] * v / np.sqrt((v ** 2).sum())
        query = h @ weights[b + "query_layer/kernel"]
        score = (normed_v * np.tanh(keys + query[:, None] + weights[b + "attention_b"])).sum(2)
    valid = np.arange(4)[None] < memory_lengths[:, None]
    want = _softmax(np.where(valid, score, -np.inf))
    np.testing.assert_allclose(alignments, want, rtol=1e-5, atol=1e-6)
    context = np.einsum("bt,btu->bu", want, memory)
    np.testing.assert_allclose(
        attention, np.concatenate([h, context], 1) @ weights[scope + "attention_layer/kernel"],
        rtol=1e-5, atol=1e-5)


def _attention_decoder_run(backend):
    """An NMT-style graph: LSTM encoder, Luong + Bahdanau attention over its outputs,
    the decoder's state cloned from the encoder's, teacher forcing, 3 Adam steps."""
    rng = np.random.RandomState(5)
    memory = rng.randn(S2S_BATCH, 4, S2S_DEPTH).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(6)
        lengths = tf.constant([4, 2, 3])
        with tf.variable_scope("encoder"):
            outputs, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.LSTMCell(S2S_UNITS),
                                               tf.constant(memory), sequence_length=lengths,
                                               dtype=tf.float32)
        mechanisms = [
            tf.contrib.seq2seq.LuongAttention(S2S_UNITS, outputs,
                                              memory_sequence_length=lengths),
            tf.contrib.seq2seq.BahdanauAttention(5, outputs, memory_sequence_length=lengths)]
        cell = tf.contrib.seq2seq.AttentionWrapper(
            tf.nn.rnn_cell.LSTMCell(S2S_UNITS), mechanisms, attention_layer_size=[3, 4],
            alignment_history=True)
        initial = cell.zero_state(S2S_BATCH, tf.float32).clone(cell_state=state)
        helper = tf.contrib.seq2seq.TrainingHelper(
            tf.constant(rng.randn(S2S_BATCH, S2S_TIME, S2S_DEPTH).astype(np.float32)),
            tf.constant([5, 3, 4]))
        decoder = tf.contrib.seq2seq.BasicDecoder(cell, helper, initial,
                                                  tf.layers.Dense(S2S_VOCAB, name="output"))
        decoded, final, _ = tf.contrib.seq2seq.dynamic_decode(decoder, impute_finished=True)
        targets = tf.constant(rng.randint(0, S2S_VOCAB, (S2S_BATCH, S2S_TIME)))
        loss = tf.contrib.seq2seq.sequence_loss(
            decoded.rnn_output, targets, tf.sequence_mask([5, 3, 4], S2S_TIME, tf.float32))
        train = tf.train.AdamOptimizer(0.05).minimize(loss)
        histories = [h.stack() for h in final.alignment_history]
        names = sorted(v.op.name for v in tf.trainable_variables())
        init = tf.global_variables_initializer()
    with tf.Session(graph=graph, backend=backend) as sess:
        sess.run(init)
        first = sess.run([decoded.rnn_output, *histories])
        losses = [sess.run([loss, train])[0] for _ in range(3)]
    return names, first, losses


@pytest.fixture(scope="module")
def graph_attention_decoder():
    return _attention_decoder_run("graph")


def test_contrib_seq2seq_attention_decoder_trains_equally_on_both_backends(
        backend, graph_attention_decoder):
    names, (outputs, luong, bahdanau), losses = _attention_decoder_run(backend)
    assert names == [
        "decoder/attention_wrapper/attention_layer/kernel",
        "decoder/attention_wrapper/attention_layer_1/kernel",
        "decoder/attention_wrapper/bahdanau_attention/attention_v",
        "decoder/attention_wrapper/bahdanau_attention/query_layer/kernel",
        "decoder/attention_wrapper/lstm_cell/bias", "decoder/attention_wrapper/lstm_cell/kernel",
        "decoder/output/bias", "decoder/output/kernel",
        "encoder/rnn/lstm_cell/bias", "encoder/rnn/lstm_cell/kernel",
        "memory_layer/kernel", "memory_layer_1/kernel"]
    assert outputs.shape == (S2S_BATCH, S2S_TIME, S2S_VOCAB)
    for history in (luong, bahdanau):  # [time, batch, memory time]
        assert history.shape == (S2S_TIME, S2S_BATCH, 4)
        np.testing.assert_allclose(history[:3].sum(-1), 1.0, rtol=1e-5)
        assert not history[:, 1, 2:].any()  # memory length 2
    assert losses == sorted(losses, reverse=True)
    _, graph_first, graph_losses = graph_attention_decoder
    for got, want in zip([outputs, luong, bahdanau], graph_first):
        np.testing.assert_array_equal(got, want)
    assert losses == graph_losses


def test_contrib_seq2seq_tile_batch_hardmax_and_attention_errors(backend):
    graph = tf.Graph()
    with graph.as_default():
        tiled = tf.contrib.seq2seq.tile_batch(
            (tf.constant([[1, 2], [3, 4]]), tf.constant([5, 6])), 2)
        assert tiled[0].shape.as_list() == [4, 2]
        hard = tf.contrib.seq2seq.hardmax(tf.constant([[1.0, 3.0, 2.0], [4.0, 0.0, 1.0]]))
        memory = tf.zeros([2, 3, 4])
        with pytest.raises(ValueError, match="fully defined inner dims"):
            tf.contrib.seq2seq.LuongAttention(4, tf.placeholder(tf.float32, [2, 3, None]))
        with pytest.raises(TypeError, match="must be an AttentionMechanism"):
            tf.contrib.seq2seq.AttentionWrapper(tf.nn.rnn_cell.GRUCell(4), memory)
        luong = tf.contrib.seq2seq.LuongAttention(5, memory)
        with pytest.raises(ValueError, match="Only one of attention_layer_size"):
            tf.contrib.seq2seq.AttentionWrapper(tf.nn.rnn_cell.GRUCell(4), luong, 3,
                                                attention_layer=tf.layers.Dense(3))
        with pytest.raises(ValueError, match="exactly one integer per attention_mechanism"):
            tf.contrib.seq2seq.AttentionWrapper(tf.nn.rnn_cell.GRUCell(4), luong, [3, 4])
        wrapper = tf.contrib.seq2seq.AttentionWrapper(tf.nn.rnn_cell.GRUCell(4), luong)
        with pytest.raises(ValueError, match="Incompatible or unknown inner dimensions"):
            wrapper(tf.zeros([2, 1]), wrapper.zero_state(2, tf.float32))
        with pytest.raises(TypeError, match="Expected state to be instance of"):
            wrapper(tf.zeros([2, 1]), tf.zeros([2, 4]))
        # a zero_state batch size that is not the memory's: an error when building
        # (static sizes) or when run
        with pytest.raises(tf.errors.InvalidArgumentError, match="Non-matching batch sizes"):
            wrapper.zero_state(3, tf.float32)
        batch = tf.placeholder(tf.int32, [])
        state = wrapper.zero_state(batch, tf.float32)
    with tf.Session(graph=graph, backend=backend) as sess:
        got = sess.run([tiled, hard])
        assert sess.run(state.cell_state, {batch: 2}).shape == (2, 4)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Non-matching batch sizes"):
            sess.run(state.cell_state, {batch: 3})
    np.testing.assert_array_equal(got[0][0], [[1, 2], [1, 2], [3, 4], [3, 4]])
    np.testing.assert_array_equal(got[0][1], [5, 5, 6, 6])
    np.testing.assert_array_equal(got[1], [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


def _gather_tree_numpy(step_ids, parent_ids, lengths, end_token):
    """TF1's GatherTree kernel, as documented, in NumPy."""
    max_time, batch, beams = step_ids.shape
    out = np.full_like(step_ids, end_token)
    for b in range(batch):
        n = lengths[b]
        for k in range(beams):
            if n <= 0:
                continue
            out[n - 1, b, k] = step_ids[n - 1, b, k]
            parent = parent_ids[n - 1, b, k]
            for t in range(n - 2, -1, -1):
                out[t, b, k] = step_ids[t, b, parent]
                parent = parent_ids[t, b, parent]
            ended = False
            for t in range(n):
                if ended:
                    out[t, b, k] = end_token
                elif out[t, b, k] == end_token:
                    ended = True
    return out


def test_contrib_seq2seq_gather_tree_follows_parents(backend):
    rng = np.random.RandomState(7)
    step_ids = rng.randint(0, 5, (6, 3, 4)).astype(np.int32)
    parent_ids = rng.randint(0, 4, (6, 3, 4)).astype(np.int32)
    lengths = np.array([6, 3, 0], np.int32)
    graph = tf.Graph()
    with graph.as_default():
        ids = tf.contrib.seq2seq.gather_tree(step_ids, parent_ids, lengths, end_token=2)
    with tf.Session(graph=graph, backend=backend) as sess:
        got = sess.run(ids)
    np.testing.assert_array_equal(got, _gather_tree_numpy(step_ids, parent_ids, lengths, 2))


def _bigram_beam_search(backend, table, beam_width, steps, length_penalty=0.0):
    """Beam search over a bigram model: the cell passes its input through, and the
    'embedding' of a token is the row of next-token logits (start token 1, end 0)."""
    vocab = table.shape[0]

    class PassThrough(tf.nn.rnn_cell.RNNCell):
        @property
        def state_size(self):
            return 1

        @property
        def output_size(self):
            return vocab

        def call(self, inputs, state):
            return inputs, state

    graph = tf.Graph()
    with graph.as_default():
        cell = PassThrough()
        decoder = tf.contrib.seq2seq.BeamSearchDecoder(
            cell, tf.constant(table), tf.constant([1]), 0,
            cell.zero_state(beam_width, tf.float32), beam_width,
            length_penalty_weight=length_penalty)
        outputs, state, _ = tf.contrib.seq2seq.dynamic_decode(decoder, maximum_iterations=steps)
    with tf.Session(graph=graph, backend=backend) as sess:
        return sess.run([outputs.predicted_ids, state.log_probs, state.lengths,
                         outputs.beam_search_decoder_output.scores])


def test_contrib_seq2seq_exhaustive_beam_search_finds_the_best_sequence(backend):
    """With as many beams as there are prefixes, beam search is exhaustive: its best
    beam is the most probable sequence of at most 3 tokens (a sequence ends at its end
    token), found by enumeration; beams come best first; lengths count the end token."""
    import itertools

    rng = np.random.RandomState(8)
    vocab, steps = 4, 3
    table = rng.randn(vocab, vocab).astype(np.float32) * 2
    log_probs = table - np.log(np.exp(table).sum(1, keepdims=True))
    best, best_score = None, -np.inf
    for seq in itertools.product(range(vocab), repeat=steps):
        if 0 in seq:
            seq = seq[:seq.index(0) + 1]
        score, prev = 0.0, 1
        for token in seq:
            score, prev = score + log_probs[prev, token], token
        if score > best_score + 1e-9:
            best, best_score = seq, score
    ids, scores, lengths, step_scores = _bigram_beam_search(backend, table, vocab ** 2, steps)
    top = ids[0, :, 0]
    np.testing.assert_array_equal(top[:len(best)], best)
    assert (top[len(best):] == 0).all()
    np.testing.assert_allclose(scores[0, 0], best_score, rtol=1e-5)
    assert lengths[0, 0] == len(best)
    assert (step_scores[0, :, :-1] >= step_scores[0, :, 1:]).all()  # best first, each step


def test_contrib_seq2seq_beam_width_one_is_greedy_and_penalties_reorder(backend):
    rng = np.random.RandomState(9)
    table = rng.randn(5, 5).astype(np.float32) * 2
    ids, _, lengths, _ = _bigram_beam_search(backend, table, 1, 6)
    token, greedy = 1, []
    for _ in range(6):
        token = int(table[token].argmax())
        greedy.append(token)
        if token == 0:
            break
    np.testing.assert_array_equal(ids[0, :len(greedy), 0], greedy)
    assert lengths[0, 0] == len(greedy)
    # length penalty: scores are log-probs / ((5 + length) / 6) ** weight
    _, log_probs, lengths, step_scores = _bigram_beam_search(backend, table, 4, 4, 1.0)
    np.testing.assert_allclose(step_scores[0, -1],
                               log_probs[0] / ((5.0 + lengths[0]) / 6.0), rtol=1e-5)


def _attention_beam_search(backend):
    rng = np.random.RandomState(10)
    beams = 3
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(11)
        embedding = tf.get_variable("embedding", [S2S_VOCAB, S2S_DEPTH])
        with tf.variable_scope("encoder"):
            memory, state = tf.nn.dynamic_rnn(
                tf.nn.rnn_cell.LSTMCell(S2S_UNITS),
                tf.constant(rng.randn(2, 4, S2S_DEPTH).astype(np.float32)),
                sequence_length=[4, 2], dtype=tf.float32)
        mechanism = tf.contrib.seq2seq.BahdanauAttention(
            S2S_UNITS, tf.contrib.seq2seq.tile_batch(memory, beams),
            memory_sequence_length=tf.contrib.seq2seq.tile_batch(tf.constant([4, 2]), beams))
        cell = tf.contrib.seq2seq.AttentionWrapper(
            tf.nn.rnn_cell.LSTMCell(S2S_UNITS), mechanism, attention_layer_size=S2S_UNITS,
            alignment_history=True)
        initial = cell.zero_state(2 * beams, tf.float32).clone(
            cell_state=tf.contrib.seq2seq.tile_batch(state, beams))
        decoder = tf.contrib.seq2seq.BeamSearchDecoder(
            cell, embedding, tf.fill([2], 1), 0, initial, beams,
            output_layer=tf.layers.Dense(S2S_VOCAB), length_penalty_weight=0.6,
            coverage_penalty_weight=0.2)
        outputs, final, _ = tf.contrib.seq2seq.dynamic_decode(decoder, maximum_iterations=6)
        fetches = [outputs.predicted_ids, outputs.beam_search_decoder_output.scores,
                   final.lengths, final.cell_state.alignment_history]
        init = tf.global_variables_initializer()
    with tf.Session(graph=graph, backend=backend) as sess:
        sess.run(init)
        return sess.run(fetches)


@pytest.fixture(scope="module")
def graph_attention_beam_search():
    return _attention_beam_search("graph")


def test_contrib_seq2seq_attention_beam_search_equal_on_both_backends(
        backend, graph_attention_beam_search):
    """NMT inference: tiled memory and state, Bahdanau attention with alignment history,
    length and coverage penalties; the alignment history comes back reordered along the
    beams' paths (a stacked tensor), and every value equals the graph backend's."""
    ids, scores, lengths, history = _attention_beam_search(backend)
    assert ids.shape[0] == 2 and ids.shape[2] == 3
    assert history.shape == (ids.shape[1], 6, 4)
    assert not history[:, 3:, 2:].any()  # the second sentence has 2 memory steps
    for b in range(2):
        for k in range(3):
            row = list(ids[b, :, k])
            assert lengths[b, k] == (row.index(0) + 1 if 0 in row else len(row))
    assert (scores[..., :-1] >= scores[..., 1:]).all()
    for got, want in zip([ids, scores, lengths, history], graph_attention_beam_search):
        np.testing.assert_array_equal(got, want)


def test_contrib_seq2seq_beam_search_argument_errors():
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.GRUCell(3)
        embedding = tf.zeros([5, 2])
        state = cell.zero_state(4, tf.float32)
        with pytest.raises(ValueError, match="start_tokens must be a vector"):
            tf.contrib.seq2seq.BeamSearchDecoder(cell, embedding, 1, 0, state, 2)
        with pytest.raises(ValueError, match="end_token must be a scalar"):
            tf.contrib.seq2seq.BeamSearchDecoder(cell, embedding, [1, 1], [0], state, 2)
        # a state not tiled to batch * beams (TF's reshape names the sizes, as in TF1)
        with pytest.raises(ValueError, match="Cannot reshape a tensor with 9 elements"):
            tf.contrib.seq2seq.BeamSearchDecoder(cell, embedding, [1, 1], 0,
                                                 cell.zero_state(3, tf.float32), 2)
        decoder = tf.contrib.seq2seq.BeamSearchDecoder(cell, embedding, [1, 1], 0, state, 2,
                                                       coverage_penalty_weight=0.5)
        with pytest.raises(ValueError, match="coverage_penalty_weight must be 0.0"):
            decoder.initialize()


def _helper_run(backend, make_helper, depth=S2S_UNITS, steps=S2S_TIME,
                parallel_iterations=32):
    """A GRU decoder driven by `make_helper(x, embedding)` (x: [batch, time, depth]
    inputs), and the same cell unrolled by hand on x; returns ([sample ids, outputs,
    lengths, hand-unrolled outputs per step], x)."""
    rng = np.random.RandomState(12)
    x = rng.randn(S2S_BATCH, steps, depth).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(13)
        embedding = tf.get_variable("embedding", [S2S_VOCAB, depth])
        cell = tf.nn.rnn_cell.GRUCell(S2S_UNITS)
        helper = make_helper(tf.constant(x), embedding)
        decoder = tf.contrib.seq2seq.BasicDecoder(cell, helper,
                                                  cell.zero_state(S2S_BATCH, tf.float32))
        outputs, _, lengths = tf.contrib.seq2seq.dynamic_decode(
            decoder, maximum_iterations=steps, parallel_iterations=parallel_iterations)
        with tf.variable_scope("decoder", reuse=True):
            state, hand = cell.zero_state(S2S_BATCH, tf.float32), []
            for t in range(steps):
                out, state = cell(tf.constant(x[:, t]), state)
                hand.append(out)
        init = tf.global_variables_initializer()
    with tf.Session(graph=graph, backend=backend) as sess:
        sess.run(init)
        return sess.run([outputs.sample_id, outputs.rnn_output, lengths, hand]), x


def test_contrib_seq2seq_custom_inference_and_scheduled_helpers(backend):
    lengths = [5, 2, 4]
    # scheduled sampling with probability 0 is teacher forcing: outputs of the unrolled
    # cell, ids -1 (embedding) / False (output) everywhere
    (ids, out, got_lengths, hand), _ = _helper_run(
        backend, lambda x, e: tf.contrib.seq2seq.ScheduledEmbeddingTrainingHelper(
            x, lengths, e, 0.0, seed=1, scheduling_seed=2))
    hand = np.stack(hand, 1)
    np.testing.assert_array_equal(got_lengths, [5, 2, 4])
    assert (ids == -1).all()
    np.testing.assert_allclose(out[0], hand[0], rtol=1e-5, atol=1e-6)
    (ids, out, _, _), _ = _helper_run(
        backend, lambda x, e: tf.contrib.seq2seq.ScheduledOutputTrainingHelper(
            x, lengths, 0.0, seed=1))
    assert ids.dtype == bool and not ids.any()
    np.testing.assert_allclose(out[0], hand[0], rtol=1e-5, atol=1e-6)
    # probability 1 on outputs: every next input is the previous output
    (ids, out, _, _), x = _helper_run(
        backend, lambda x, e: tf.contrib.seq2seq.ScheduledOutputTrainingHelper(
            x, tf.constant([5, 5, 5]), 1.0, seed=1))
    assert ids.all()
    np.testing.assert_allclose(out[:, 0], hand[:, 0], rtol=1e-5, atol=1e-6)
    assert not np.allclose(out[:, 1], hand[:, 1])  # step 1 read the output, not x[:, 1]
    # probability 1 on embeddings: the sampled ids (valid ids) feed the next step
    (ids, _, _, _), _ = _helper_run(
        backend, lambda x, e: tf.contrib.seq2seq.ScheduledEmbeddingTrainingHelper(
            x, lengths, e, 1.0, seed=1, scheduling_seed=2))
    assert ((ids >= 0) & (ids < S2S_UNITS)).all()

    # CustomHelper as greedy decoding = GreedyEmbeddingHelper
    def custom(x, embedding):
        start = tf.nn.embedding_lookup(embedding, tf.fill([S2S_BATCH], 1))
        return tf.contrib.seq2seq.CustomHelper(
            lambda: (tf.tile([False], [S2S_BATCH]), start),
            lambda time, outputs, state: tf.argmax(outputs, -1, output_type=tf.int32),
            lambda time, outputs, state, sample_ids: (
                tf.equal(sample_ids, 0), tf.nn.embedding_lookup(embedding, sample_ids), state))

    (custom_ids, custom_out, custom_lengths, _), _ = _helper_run(backend, custom)
    (greedy_ids, greedy_out, greedy_lengths, _), _ = _helper_run(
        backend, lambda x, e: tf.contrib.seq2seq.GreedyEmbeddingHelper(
            e, tf.fill([S2S_BATCH], 1), 0))
    np.testing.assert_array_equal(custom_ids, greedy_ids)
    np.testing.assert_array_equal(custom_out, greedy_out)
    np.testing.assert_array_equal(custom_lengths, greedy_lengths)

    # InferenceHelper on continuous outputs: the output is the next input; a sequence ends
    # when its first output unit is positive
    (samples, out, ends, _), x = _helper_run(
        backend, lambda x, e: tf.contrib.seq2seq.InferenceHelper(
            lambda outputs: outputs, [S2S_UNITS], tf.float32, x[:, 0],
            lambda sample: sample[:, 0] > 0))
    np.testing.assert_array_equal(samples, out)
    for b in range(S2S_BATCH):
        positive = list(out[b, :, 0] > 0)
        assert ends[b] == (positive.index(True) + 1 if True in positive else S2S_TIME)
    with pytest.raises(ValueError, match="must be either a scalar or a vector"):
        with tf.Graph().as_default():
            tf.contrib.seq2seq.ScheduledOutputTrainingHelper(tf.zeros([2, 3, 1]), [3, 3],
                                                            [[0.5]])


def _scheduled_run(backend):
    # one iteration at a time: the per-step draws do not depend on earlier steps, so with
    # parallel iterations a v1 Session (TF 1.x too) may run them in another order under
    # load, and the draws land on other steps
    (ids, out, _, _), _ = _helper_run(
        backend, lambda x, e: tf.contrib.seq2seq.ScheduledEmbeddingTrainingHelper(
            x, tf.constant([5, 2, 4]), e, 0.5, seed=1, scheduling_seed=2),
        parallel_iterations=1)
    return ids, out


@pytest.fixture(scope="module")
def graph_scheduled_run():
    return _scheduled_run("graph")


def test_contrib_seq2seq_scheduled_sampling_draws_equally_on_both_backends(
        backend, graph_scheduled_run):
    ids, out = _scheduled_run(backend)
    assert (ids == -1).any() and (ids >= 0).any()
    np.testing.assert_array_equal(ids, graph_scheduled_run[0])
    np.testing.assert_array_equal(out, graph_scheduled_run[1])


def _monotonic_numpy(p, previous):
    q = np.zeros_like(p)
    for i in range(p.shape[1]):
        q[:, i] = (1 - p[:, i - 1]) * q[:, i - 1] + previous[:, i] if i else previous[:, 0]
    return p * q


def test_contrib_seq2seq_monotonic_attention_modes(backend):
    rng = np.random.RandomState(14)
    p = rng.uniform(0.05, 0.95, (3, 6)).astype(np.float32)
    previous = _softmax(rng.randn(3, 6)).astype(np.float32)
    hard_p = (rng.rand(3, 6) > 0.5).astype(np.float32)
    hard_previous = np.eye(6, dtype=np.float32)[[0, 2, 5]]
    graph = tf.Graph()
    with graph.as_default():
        modes = {mode: tf.contrib.seq2seq.monotonic_attention(p, previous, mode)
                 for mode in ("recursive", "parallel")}
        hard = tf.contrib.seq2seq.monotonic_attention(hard_p, hard_previous, "hard")
        cumprod = tf.contrib.seq2seq.safe_cumprod(p, axis=1, exclusive=True)
        with pytest.raises(ValueError, match="mode must be"):
            tf.contrib.seq2seq.monotonic_attention(p, previous, "soft")
    with tf.Session(graph=graph, backend=backend) as sess:
        got, got_hard, got_cumprod = sess.run([modes, hard, cumprod])
    want = _monotonic_numpy(p, previous)
    np.testing.assert_allclose(got["recursive"], want, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got["parallel"], want, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(got_hard, _monotonic_numpy(hard_p, hard_previous))
    np.testing.assert_allclose(got_cumprod, np.cumprod(np.concatenate(
        [np.ones((3, 1)), p[:, :-1]], 1), 1), rtol=1e-5)


@pytest.mark.parametrize("kind", ["bahdanau", "luong"])
def test_contrib_seq2seq_monotonic_mechanisms_against_numpy(backend, kind):
    """A monotonic mechanism's first step: sigmoid(score + attention_score_bias) through
    the recursion from all attention on the first memory step; TF1's variable names."""
    rng = np.random.RandomState(15)
    memory = rng.randn(2, 5, 4).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(16)
        if kind == "bahdanau":
            mechanism = tf.contrib.seq2seq.BahdanauMonotonicAttention(
                4, tf.constant(memory), memory_sequence_length=[5, 3], normalize=True,
                score_bias_init=-1.0)
        else:
            mechanism = tf.contrib.seq2seq.LuongMonotonicAttention(
                4, tf.constant(memory), scale=True, score_bias_init=0.5, mode="recursive")
        cell = tf.contrib.seq2seq.AttentionWrapper(tf.nn.rnn_cell.GRUCell(4), mechanism,
                                                   output_attention=False)
        state = cell.zero_state(2, tf.float32)
        h, next_state = cell(tf.constant(rng.randn(2, 3).astype(np.float32)), state)
        variables = {v.op.name: v for v in tf.global_variables()}
    with tf.Session(graph=graph, backend=backend) as sess:
        sess.run(tf.variables_initializer(list(variables.values())))
        first, h, alignments, w = sess.run([state.alignments, h, next_state.alignments,
                                            variables])
    np.testing.assert_array_equal(first, [[1, 0, 0, 0, 0]] * 2)
    keys = memory @ w["memory_layer/kernel"]
    scope = f"attention_wrapper/{kind}_monotonic_attention/"
    if kind == "bahdanau":
        v = w[scope + "attention_v"]
        normed_v = w[scope + "attention_g"] * v / np.sqrt((v ** 2).sum())
        query = h @ w[scope + "query_layer/kernel"]
        score = (normed_v * np.tanh(keys + query[:, None] + w[scope + "attention_b"])).sum(2)
        score = np.where(np.arange(5)[None] < np.array([[5], [3]]), score, -np.inf)
    else:
        score = w[scope + "attention_g"] * np.einsum("bu,btu->bt", h, keys)
    assert w[scope + "attention_score_bias"] == (-1.0 if kind == "bahdanau" else 0.5)
    p = 1 / (1 + np.exp(-(score + w[scope + "attention_score_bias"])))
    np.testing.assert_allclose(alignments, _monotonic_numpy(p, first), rtol=1e-4, atol=1e-6)


# --- contrib.rnn.stack_bidirectional_(dynamic_)rnn, contrib.eager, contrib.framework ---
def _np_bidirectional_basic_rnn(xs, weights):
    """NumPy: stacked bidirectional BasicRNNCell (tanh) layers, outputs concatenated."""
    out = xs
    for (kf, bf), (kb, bb) in weights:
        def run(seq, k, b):
            h = np.zeros((seq.shape[0], b.shape[0]), np.float32)
            hs = []
            for t in range(seq.shape[1]):
                h = np.tanh(np.concatenate([seq[:, t], h], 1) @ k + b)
                hs.append(h)
            return np.stack(hs, 1)
        fw = run(out, kf, bf)
        bw = run(out[:, ::-1], kb, bb)[:, ::-1]
        out = np.concatenate([fw, bw], 2)
    return out


@pytest.mark.parametrize("dynamic", [True, False])
def test_stack_bidirectional_rnn_against_numpy(backend, dynamic):
    rng = np.random.RandomState(0)
    xs = rng.randn(2, 4, 3).astype(np.float32)
    cells_fw = [tf.nn.rnn_cell.BasicRNNCell(5) for _ in range(2)]
    cells_bw = [tf.nn.rnn_cell.BasicRNNCell(5) for _ in range(2)]
    x = tf.constant(xs)
    if dynamic:
        out, states_fw, states_bw = tf.contrib.rnn.stack_bidirectional_dynamic_rnn(
            cells_fw, cells_bw, x, dtype=tf.float32)
    else:
        outs, states_fw, states_bw = tf.contrib.rnn.stack_bidirectional_rnn(
            cells_fw, cells_bw, tf.unstack(x, axis=1), dtype=tf.float32)
        out = tf.stack(outs, 1)
    names = [v.name for v in tf.trainable_variables()]
    # TF 1.15's names: the dynamic version nests bidirectional_rnn's own scope, the
    # static one passes cell_<i> as the scope
    inner = "bidirectional_rnn/" if dynamic else ""
    assert f"stack_bidirectional_rnn/cell_0/{inner}fw/basic_rnn_cell/kernel:0" in names
    assert len(names) == 8
    assert len(states_fw) == len(states_bw) == 2
    with compat.Session(backend=backend) as s:
        s.run(tf.global_variables_initializer())
        got, values = s.run(out), s.run(tf.trainable_variables())
    by_name = dict(zip(names, values))

    def cell(i, d):
        p = f"stack_bidirectional_rnn/cell_{i}/{inner}{d}/basic_rnn_cell/"
        return by_name[p + "kernel:0"], by_name[p + "bias:0"]
    weights = [(cell(i, "fw"), cell(i, "bw")) for i in range(2)]
    np.testing.assert_allclose(got, _np_bidirectional_basic_rnn(xs, weights), atol=1e-5)


def test_stack_bidirectional_rnn_checks_its_arguments():
    cell = tf.nn.rnn_cell.BasicRNNCell(2)
    x = tf.zeros([1, 3, 2])
    with pytest.raises(ValueError, match="at least one fw cell"):
        tf.contrib.rnn.stack_bidirectional_dynamic_rnn([], [cell], x, dtype=tf.float32)
    with pytest.raises(ValueError, match="same depth"):
        tf.contrib.rnn.stack_bidirectional_dynamic_rnn([cell], [cell, cell], x,
                                                       dtype=tf.float32)
    with pytest.raises(ValueError, match="must be a list"):
        tf.contrib.rnn.stack_bidirectional_dynamic_rnn(cell, [cell], x, dtype=tf.float32)


def test_contrib_eager_defun_traces_in_the_callers_graph(backend):
    from compat.v1.contrib.eager.python import tfe

    w = tf.get_variable("w", initializer=[2., 3.])

    @tfe.defun
    def scaled(x):
        return x * w + 1.

    x = tf.placeholder(tf.float32, [2])
    y = scaled(x)
    assert y.graph is tf.get_default_graph()
    assert tf.contrib.eager.defun.__name__ == tfe.defun.__name__ == "defun"
    with compat.Session(backend=backend) as s:
        s.run(tf.global_variables_initializer())
        np.testing.assert_allclose(s.run(y, {x: [1., -1.]}), [3., -2.])


def test_contrib_framework_nest_is_tf1s_nest():
    nest = tf.contrib.framework.nest
    assert nest.is_sequence([1, (2,)]) and not nest.is_sequence(3)
    assert nest.flatten_up_to([0, 0], [[1, 2], (3,)]) == [[1, 2], (3,)]
    assert nest.map_structure_up_to((0, 0), lambda a: a * 2, (1, [2])) == (2, [2, 2])
    with pytest.raises((TypeError, ValueError)):
        nest.assert_shallow_structure([0, 0, 0], [1, 2])
    cond = tf.contrib.framework.smart_cond(True, lambda: tf.constant(1), lambda: 2)
    assert tf.contrib.framework.smart_constant_value(tf.constant(True)) == True  # noqa: E712
    assert cond.graph is tf.get_default_graph()


def test_tf1_module_paths_inside_contrib():
    """TF 1.15's file-level paths (``tensorflow.contrib.seq2seq.python.ops.decoder``,
    ``tensorflow.contrib.slim.python.slim.data``) give the same objects."""
    from compat.v1.contrib.seq2seq.python.ops import decoder, helper
    import compat.v1.contrib.seq2seq.python.ops.beam_search_decoder as bsd

    assert decoder.Decoder is tf.contrib.seq2seq.Decoder
    assert helper.TrainingHelper is tf.contrib.seq2seq.TrainingHelper
    assert bsd.tile_batch is tf.contrib.seq2seq.tile_batch
    assert decoder._transpose_batch_time(tf.zeros([2, 5, 3])).shape == (5, 2, 3)
    from compat.v1.contrib.slim.python.slim.data import data_decoder

    assert data_decoder is tf.contrib.slim.data.data_decoder
