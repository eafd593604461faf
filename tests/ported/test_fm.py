"""The ported TF2 FM against the legacy TF1 FM, on both backends."""

import numpy as np
import pytest

import compat
from compat import checkpoint
from legacy import data as data_lib
from legacy.fm import FactorizationMachine as LegacyFM
from ported.fm import FactorizationMachine as PortedFM

_DATA = data_lib.synthetic(n_users=30, n_items=40, n_ratings=600, seed=8)
_FS = data_lib.FeatureSpace(_DATA)


def batches(n=6, size=64, seed=0):
    rng = np.random.RandomState(seed)
    for _ in range(n):
        rows = _DATA.train[rng.randint(0, len(_DATA.train), size)]
        ids, vals = _FS.encode(rows[:, 0], rows[:, 1])
        yield ids, vals, rows[:, 2].astype(np.float32)


def pair(backend, tmp_path):
    with compat.use_backend(backend):
        legacy = LegacyFM(_FS.n_features, _FS.n_fields, k=4, learning_rate=0.01, l2=0.05,
                          seed=3)
    path = legacy.save(str(tmp_path / "legacy" / "model"))
    ported = PortedFM(_FS.n_features, _FS.n_fields, k=4, learning_rate=0.01, l2=0.05)
    ported.restore(path)  # the legacy name-based checkpoint, through the name map
    return legacy, ported


def test_ported_fm_matches_legacy_forward_and_training(backend, tmp_path):
    legacy, ported = pair(backend, tmp_path)
    ids, vals, _ = next(batches(1, 200, seed=5))
    np.testing.assert_allclose(ported.predict(ids, vals), legacy.predict(ids, vals),
                               rtol=1e-6, atol=1e-6)
    for ids, vals, ratings in batches():
        lo = legacy.train_step(ids, vals, ratings)
        po = ported.train_step(ids, vals, ratings)
        assert po == pytest.approx(lo, rel=1e-5)
    test_ids, test_vals, _ = next(batches(1, 200, seed=6))
    # TF1 AdamOptimizer vs Keras Adam (epsilon 1e-8): the same update up to rounding
    np.testing.assert_allclose(ported.predict(test_ids, test_vals),
                               legacy.predict(test_ids, test_vals), rtol=1e-4, atol=1e-5)
    emb = legacy.sess.run("embeddings:0")
    np.testing.assert_allclose(ported.embeddings.numpy(), emb, rtol=1e-3, atol=1e-6)
    assert int(ported.global_step.numpy()) == int(legacy.sess.run("global_step:0")) == 6


def test_ported_checkpoint_serves_the_legacy_graph(backend, tmp_path):
    legacy, ported = pair(backend, tmp_path)
    for ids, vals, ratings in batches(2):
        ported.train_step(ids, vals, ratings)
    name_based = ported.save(str(tmp_path / "ported" / "model"))
    saved_embeddings = ported.embeddings.numpy()
    assert name_based.endswith("model-2")
    # every variable the legacy FM's Saver saves, Adam slots and beta powers included
    legacy_keys = set(checkpoint.read_checkpoint(
        legacy.save(str(tmp_path / "legacy2" / "model"))))
    assert set(checkpoint.read_checkpoint(name_based)) == legacy_keys
    with compat.use_backend(backend):
        fresh = LegacyFM(_FS.n_features, _FS.n_fields, k=4, learning_rate=0.01, l2=0.05,
                         seed=99)
    fresh.restore(name_based)
    ids, vals, _ = next(batches(1, 50, seed=7))
    np.testing.assert_allclose(fresh.predict(ids, vals), ported.predict(ids, vals),
                               rtol=1e-6, atol=1e-6)
    # the legacy FM resumes training where the ported one stopped (optimizer state too)
    for ids, vals, ratings in batches(3, seed=9):
        assert fresh.train_step(ids, vals, ratings) == pytest.approx(
            ported.train_step(ids, vals, ratings), rel=1e-5)
    # and the object-based one round-trips into another ported FM
    again = PortedFM(_FS.n_features, _FS.n_fields, k=4)
    again.restore(name_based)
    np.testing.assert_array_equal(again.embeddings.numpy(), saved_embeddings)


def test_ported_restore_checks_shapes_first(tmp_path):
    legacy, _ = pair("graph", tmp_path)
    path = legacy.save(str(tmp_path / "l2" / "model"))
    wrong = PortedFM(_FS.n_features, _FS.n_fields, k=5)
    before = wrong.bias.numpy()
    with pytest.raises(compat.errors.InvalidArgumentError, match="'embeddings' has shape"):
        wrong.restore(path)
    assert wrong.bias.numpy() == before  # nothing assigned
