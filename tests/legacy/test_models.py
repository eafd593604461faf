"""FM, BPR-FM and the predictor: math against NumPy, training, parity across backends."""

import numpy as np
import pytest
import tensorflow as tf2

import compat
from legacy import data as data_lib
from legacy.bpr_fm import BPRFM
from legacy.data import sample_negatives
from legacy.fm import FactorizationMachine
from legacy.predictor import Predictor


@pytest.fixture(scope="module")
def small():
    d = data_lib.synthetic(n_users=40, n_items=60, n_ratings=800, seed=5)
    return d, data_lib.FeatureSpace(d)


def numpy_fm(ids, vals, bias, w, v):
    x = np.zeros((len(ids), len(w)))
    for r in range(len(ids)):
        for f, val in zip(ids[r], vals[r]):
            x[r, f] += val
    out = bias + x @ w
    for r in range(len(x)):
        nz = np.flatnonzero(x[r])
        for a in range(len(nz)):
            for b in range(a + 1, len(nz)):
                i, j = nz[a], nz[b]
                out[r] += v[i] @ v[j] * x[r, i] * x[r, j]
    return out


def _fm(small, backend, **kw):
    d, fs = small
    with compat.use_backend(backend):
        return FactorizationMachine(fs.n_features, fs.n_fields, k=4, seed=1, **kw)


def test_fm_matches_numpy_reference(small, backend):
    d, fs = small
    fm = _fm(small, backend)
    rows = d.train[:16]
    ids, vals = fs.encode(rows[:, 0], rows[:, 1])
    fm.fit(fs, d.train, epochs=1, batch_size=128)  # move away from the zero init
    bias, w, v = fm.sess.run(["bias:0", "weights:0", "embeddings:0"])
    np.testing.assert_allclose(fm.predict(ids, vals), numpy_fm(ids, vals, bias, w, v),
                               rtol=1e-5, atol=1e-5)
    assert fm.sess.backend == backend


def test_fm_training_lowers_loss(small, backend):
    d, fs = small
    fm = _fm(small, backend, learning_rate=0.01)
    history = fm.fit(fs, d.train, epochs=5, batch_size=64)
    assert history[-1] < history[0]


def test_fm_training_parity_bit_identical(small):
    d, fs = small
    histories, params = {}, {}
    for backend in compat.BACKENDS:
        fm = _fm(small, backend)
        histories[backend] = fm.fit(fs, d.train, epochs=2, batch_size=100)
        params[backend] = fm.sess.run(["weights:0", "embeddings:0"])
    assert histories["graph"] == histories["eager"]
    for a, b in zip(params["graph"], params["eager"]):
        np.testing.assert_array_equal(a, b)


def _bpr(small, backend):
    d, fs = small
    with compat.use_backend(backend):
        return BPRFM(fs, k=4, batch_size=64, seed=3, learning_rate=0.01)


def test_bpr_scores_match_numpy_reference(small, backend):
    d, fs = small
    bpr = _bpr(small, backend)
    bpr.fit(d.train_items_by_user(), epochs=1)
    w, v, w1, b1, w2, b2 = bpr.sess.run(
        ["weights:0", "embeddings:0", "user_mlp/hidden/kernel:0", "user_mlp/hidden/bias:0",
         "user_mlp/out/kernel:0", "user_mlp/out/bias:0"])
    assert np.abs(w2).max() > 0  # the tf.layers tower trained
    scores = bpr.score([0, 7])
    nu = fs.n_user_fields
    for row, u in zip(scores, [0, 7]):
        for i in (0, 5, 59):
            ids, vals = fs.encode([u], [i])
            u_vec = vals[0, :nu] @ v[ids[0, :nu]]
            u_vec = u_vec + np.maximum(u_vec @ w1 + b1, 0) @ w2 + b2   # residual MLP
            item_v = v[ids[0, nu:]] * vals[0, nu:, None]
            i_vec = item_v.sum(0)
            i_lin = vals[0, nu:] @ w[ids[0, nu:]]
            i_pair = 0.5 * (i_vec @ i_vec - (item_v ** 2).sum())
            # BPR drops terms that depend on the user alone (they cancel in s_pos - s_neg)
            np.testing.assert_allclose(row[i], u_vec @ i_vec + i_lin + i_pair,
                                       rtol=1e-4, atol=1e-5)


def test_bpr_training_lowers_loss_and_parity(small):
    d, fs = small
    histories = {}
    for backend in compat.BACKENDS:
        histories[backend] = _bpr(small, backend).fit(d.train_items_by_user(), epochs=4)
    assert histories["graph"] == histories["eager"]
    assert histories["graph"][-1] < histories["graph"][0]


def test_sampled_negatives_are_unrated(small):
    d, _ = small
    by_user = d.train_items_by_user()
    users = np.concatenate([np.full(len(x), u) for u, x in enumerate(by_user)])
    neg = sample_negatives(by_user, users, d.n_items, np.random.RandomState(0))
    for u, n in zip(users, neg):
        assert n not in by_user[u]


def test_predictor_restores_clashing_names_and_exports(small, backend, tmp_path):
    d, fs = small
    with compat.use_backend(backend):
        fm = FactorizationMachine(fs.n_features, fs.n_fields, k=4, seed=1)
        fm.fit(fs, d.train, epochs=1, batch_size=128)
        fm_ckpt = fm.save(str(tmp_path / "fm" / "model"))
        fm_params = fm.sess.run(["bias:0", "weights:0", "embeddings:0"])
        bpr = BPRFM(fs, k=6, batch_size=64, seed=3)
        bpr.fit(d.train_items_by_user(), epochs=1)
        bpr_ckpt = bpr.save(str(tmp_path / "bpr" / "model"))
        bpr_scores = bpr.score([3])
        seen = np.zeros((d.n_users, d.n_items), np.float32)
        for u, items in enumerate(d.train_items_by_user()):
            seen[u, items] = 1
        pred = Predictor(fs, d.user_raw, d.item_raw, seen, fm_k=4, bpr_k=6, alpha=0.0)
        pred.restore(fm_ckpt, bpr_ckpt)
        np.testing.assert_array_equal(pred.sess.run("rating/embeddings:0"), fm_params[2])
        items, scores = pred.recommend(d.user_raw[[3]], k=5)
        masked = np.where(seen[3] > 0, -np.inf, bpr_scores[0])
        expected = d.item_raw[np.argsort(-masked, kind="stable")[:5]]
        np.testing.assert_array_equal(items[0], expected)
        assert not set(items[0]) & set(d.item_raw[seen[3] > 0])
        with pytest.raises(tf2.errors.InvalidArgumentError):
            pred.recommend([99999], k=5)
        export = str(tmp_path / "export")
        pred.export(export)
    loaded = tf2.saved_model.load(export)
    fn = loaded.signatures["serving_default"]
    out = fn(user_ids=tf2.constant(d.user_raw[[3]], tf2.int64), k=tf2.constant(5))
    np.testing.assert_array_equal(out["item_ids"].numpy(), items)
    np.testing.assert_allclose(out["scores"].numpy(), scores, rtol=1e-6)
    assert {k: v.dtype for k, v in fn.structured_input_signature[1].items()} == {
        "user_ids": tf2.int64, "k": tf2.int32}
