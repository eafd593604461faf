"""The ported TF2 predictor against the legacy TF1 predictor, on both backends."""

import contextlib
import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.profiles import examples

import compat
import compat.v1 as tf1
from compat import checkpoint
from legacy import data as data_lib
from legacy.bpr_fm import BPRFM
from legacy.fm import FactorizationMachine
from legacy.predictor import Predictor as LegacyPredictor
from ported.predictor import Predictor as PortedPredictor

_DATA = data_lib.synthetic(n_users=20, n_items=30, n_ratings=300, seed=21)
_FS = data_lib.FeatureSpace(_DATA)
FM_K, BPR_K = 3, 4


def _seen():
    seen = np.zeros((_DATA.n_users, _DATA.n_items), np.float32)
    for u, items in enumerate(_DATA.train_items_by_user()):
        seen[u, items] = 1.0
    return seen


def _make(cls, backend=None, fm_k=FM_K, bpr_k=BPR_K):
    with compat.use_backend(backend) if backend else contextlib.nullcontext():
        return cls(_FS, _DATA.user_raw, _DATA.item_raw, _seen(), fm_k, bpr_k, alpha=0.3)


@functools.lru_cache(maxsize=None)
def _legacy(backend):
    return _make(LegacyPredictor, backend)


@functools.lru_cache(maxsize=None)
def _ported():
    return _make(PortedPredictor)


def _load(values):
    """Puts the same TF1-named values into both legacy predictors and the ported one."""
    for backend in ("graph", "eager"):
        p = _legacy(backend)
        with p.graph.as_default():
            for v in tf1.global_variables():
                if v.op.name in values:
                    v.load(values[v.op.name], p.sess)
    ported = _ported()
    for scope, scorer in (("rating", ported.rating), ("ranking", ported.ranking)):
        for tf1_name, var in scorer.named():
            var.assign(values[f"{scope}/{tf1_name}"])


def _values(draw_array, nf):
    shapes = {"rating/bias": [], "rating/weights": [nf], "rating/embeddings": [nf, FM_K],
              "ranking/weights": [nf], "ranking/embeddings": [nf, BPR_K]}
    for layer in ("hidden", "out"):
        shapes[f"ranking/user_mlp/{layer}/kernel"] = [BPR_K, BPR_K]
        shapes[f"ranking/user_mlp/{layer}/bias"] = [BPR_K]
    return {name: draw_array(shape) for name, shape in shapes.items()}


@settings(max_examples=examples(10))
@given(st.data())
def test_ported_predictor_computes_the_legacy_top_k(data):
    floats = st.floats(-1, 1, width=32)
    values = _values(lambda shape: data.draw(hnp.arrays(np.float32, shape, elements=floats)),
                     _FS.n_features)
    users = np.asarray(data.draw(st.lists(st.sampled_from(list(_DATA.user_raw)),
                                          max_size=5)), np.int64)
    k = data.draw(st.integers(1, _DATA.n_items + 3))
    _load(values)
    items, scores = _ported().recommend(users, k=k)
    assert items.shape == scores.shape == (len(users), min(k, _DATA.n_items))
    for backend in ("graph", "eager"):
        l_items, l_scores = _legacy(backend).recommend(users, k=k)
        np.testing.assert_array_equal(items, l_items, err_msg=backend)
        np.testing.assert_allclose(scores, l_scores, rtol=1e-6, atol=1e-6, err_msg=backend)


def test_ported_predictor_serves_trained_legacy_checkpoints(backend, tmp_path):
    with compat.use_backend(backend):
        fm = FactorizationMachine(_FS.n_features, _FS.n_fields, k=FM_K, seed=1)
        fm.fit(_FS, _DATA.train, epochs=1, batch_size=64)
        fm_ckpt = fm.save(str(tmp_path / "fm" / "model"))
        bpr = BPRFM(_FS, k=BPR_K, batch_size=64, seed=3)
        bpr.fit(_DATA.train_items_by_user(), epochs=1)
        bpr_ckpt = bpr.save(str(tmp_path / "bpr" / "model"))
    legacy = _make(LegacyPredictor, backend)
    legacy.restore(fm_ckpt, bpr_ckpt)
    ported = _make(PortedPredictor)
    ported.restore(fm_ckpt, bpr_ckpt)
    users = _DATA.user_raw[[0, 5, 9, 19]]
    l_items, l_scores = legacy.recommend(users, k=6)
    items, scores = ported.recommend(users, k=6)
    np.testing.assert_array_equal(items, l_items)
    np.testing.assert_allclose(scores, l_scores, rtol=1e-6, atol=1e-6)
    seen_raw = set(_DATA.item_raw[_seen()[0] > 0])
    assert not set(items[0]) & seen_raw  # rated items are excluded

    with pytest.raises(compat.errors.InvalidArgumentError, match="unknown user ids"):
        ported.recommend([users[0], 10 ** 9])
    with pytest.raises(compat.errors.InvalidArgumentError):
        legacy.recommend([users[0], 10 ** 9])


def test_restore_checks_both_checkpoints_before_assigning(tmp_path):
    ported = _make(PortedPredictor)
    nf = _FS.n_features
    rng = np.random.RandomState(0)
    values = _values(lambda shape: rng.uniform(-1, 1, shape).astype(np.float32), nf)
    fm_ckpt = checkpoint.write_name_based(
        {n.split("/", 1)[1]: v for n, v in values.items() if n.startswith("rating/")},
        str(tmp_path / "fm"))
    ranking = {n.split("/", 1)[1]: v for n, v in values.items() if n.startswith("ranking/")}
    bad = dict(ranking, embeddings=np.zeros([nf, BPR_K + 1], np.float32))
    bad_ckpt = checkpoint.write_name_based(bad, str(tmp_path / "bad"))
    partial = {n: v for n, v in ranking.items() if not n.startswith("user_mlp/out")}
    partial_ckpt = checkpoint.write_name_based(partial, str(tmp_path / "partial"))
    before = [v.numpy() for v in ported.trainable_variables]

    with pytest.raises(compat.errors.InvalidArgumentError,
                       match=r"'embeddings' has shape \[\d+, 5\].*nothing was restored"):
        ported.restore(fm_ckpt, bad_ckpt)
    with pytest.raises(compat.errors.NotFoundError,
                       match=r"\['user_mlp/out/bias', 'user_mlp/out/kernel'\]"):
        ported.restore(fm_ckpt, partial_ckpt)
    for old, var in zip(before, ported.trainable_variables):
        np.testing.assert_array_equal(var.numpy(), old)  # the rating model was not loaded

    good = checkpoint.write_name_based(ranking, str(tmp_path / "good"))
    ported.restore(fm_ckpt, good)
    np.testing.assert_array_equal(ported.ranking.embeddings.numpy(),
                                  values["ranking/embeddings"])


def test_export_refuses_a_non_empty_directory_and_leaves_it(tmp_path):
    ported = _make(PortedPredictor)
    target = tmp_path / "export"
    target.mkdir()
    (target / "keep").write_text("x")
    with pytest.raises(FileExistsError, match="already exists"):
        ported.export(str(target))
    assert [p.name for p in target.iterdir()] == ["keep"]
    assert [p.name for p in tmp_path.iterdir()] == ["export"]  # no temporary left
    empty = tmp_path / "empty"
    empty.mkdir()
    ported.export(str(empty))
    assert (empty / "saved_model.pb").is_file()
