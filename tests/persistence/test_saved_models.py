"""SavedModels from either backend: TF1 SavedModelBuilder exports and native TF2
exports load in a process without the shim, serve the session's numbers and have the
same signatures; saved_model_cli lists them. The ported predictor's
``tf.saved_model.save`` export has the legacy export's signature and numbers."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import compat
import compat.v1 as tf
from compat.saved_model import export_tf2
from legacy import data as data_lib
from legacy.predictor import Predictor
from ported.predictor import Predictor as PortedPredictor

HERE = os.path.dirname(os.path.abspath(__file__))
_DATA = data_lib.synthetic(n_users=12, n_items=15, n_ratings=120, seed=3)
_FEATURES = data_lib.FeatureSpace(_DATA)
USERS = np.asarray(_DATA.user_raw[[0, 3, 7]], np.int64)


def predictor(backend):
    with compat.use_backend(backend):
        p = Predictor(_FEATURES, _DATA.user_raw, _DATA.item_raw,
                      np.eye(12, 15, dtype=np.float32), fm_k=3, bpr_k=2)
    rng = np.random.RandomState(0)
    with p.graph.as_default():
        for v in tf.global_variables():
            if v.op.name != "seen":
                v.load(rng.uniform(-1, 1, v.shape.as_list()).astype(np.float32), p.sess)
    return p


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    root = tmp_path_factory.mktemp("exports")
    made, expected = {}, {}
    for backend in ("graph", "eager"):
        p = predictor(backend)
        expected[backend] = p.recommend(USERS, k=4)
        p.export(str(root / f"tf1-{backend}"))  # the legacy SavedModelBuilder export
        made[f"tf1-{backend}"] = str(root / f"tf1-{backend}")
        made[f"tf2-{backend}"] = export_tf2(
            p.sess, str(root / f"tf2-{backend}"),
            {"serving_default": ({"user_ids": p.user_ids, "k": p.k},
                                 {"item_ids": p.item_ids, "scores": p.scores})})
        if backend == "graph":
            # the ported predictor, loaded from the legacy one's Savers (name maps)
            ported = PortedPredictor(_FEATURES, _DATA.user_raw, _DATA.item_raw,
                                     np.eye(12, 15, dtype=np.float32), fm_k=3, bpr_k=2)
            ported.restore(p.rating_saver.save(p.sess, str(root / "ckpt" / "rating")),
                           p.ranking_saver.save(p.sess, str(root / "ckpt" / "ranking")))
            expected["ported"] = ported.recommend(USERS, k=4)
            ported.export(str(root / "ported-tf2"))
            made["ported-tf2"] = str(root / "ported-tf2")
        p.close()
    inputs = {"user_ids": {"value": USERS.tolist(), "dtype": "int64"},
              "k": {"value": 4, "dtype": "int32"}}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, os.path.join(HERE, "load_saved_model.py"),
                           json.dumps(inputs)] + list(made.values()),
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return made, expected, json.loads(proc.stdout.strip().splitlines()[-1])


def test_exports_load_without_the_shim_and_serve_the_sessions_numbers(exports):
    made, expected, loaded = exports
    assert loaded["compat_imported"] is False
    for name, path in made.items():
        item_ids, scores = expected["ported" if name == "ported-tf2" else name.split("-")[1]]
        np.testing.assert_array_equal(loaded[path]["values"]["item_ids"], item_ids)
        np.testing.assert_allclose(loaded[path]["values"]["scores"], scores, rtol=1e-6)
    np.testing.assert_array_equal(expected["graph"][0], expected["eager"][0])
    np.testing.assert_array_equal(expected["ported"][0], expected["graph"][0])
    np.testing.assert_allclose(expected["ported"][1], expected["graph"][1], rtol=1e-6)


def test_every_export_has_the_same_signature(exports):
    made, _, loaded = exports
    signatures = {name: (loaded[path]["inputs"], loaded[path]["outputs"])
                  for name, path in made.items()}
    first = signatures["tf1-graph"]
    assert first[0] == {"user_ids": {"dtype": "int64", "shape": [None]},
                        "k": {"dtype": "int32", "shape": []}}
    assert set(first[1]) == {"item_ids", "scores"}
    assert first[1]["item_ids"]["dtype"] == "int64"
    for name, sig in signatures.items():
        assert sig == first, name


def test_saved_model_cli_lists_both_kinds(exports):
    made, _, _ = exports
    for name in ("tf1-eager", "tf2-graph", "ported-tf2"):
        proc = subprocess.run(["saved_model_cli", "show", "--dir", made[name], "--all"],
                              capture_output=True, text=True, timeout=300,
                              env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
        assert proc.returncode == 0, proc.stderr[-2000:]
        out = proc.stdout
        assert "signature_def['serving_default']" in out, name
        assert "inputs['user_ids']" in out and "outputs['scores']" in out, name


def test_export_tf2_errors_leave_nothing_behind(tmp_path):
    p = predictor("eager")
    target = tmp_path / "out"
    with pytest.raises(ValueError, match="'nope:0' is not a tensor"):
        export_tf2(p.sess, str(target), {"serving_default": ({"x": "nope:0"},
                                                             {"s": p.scores})})
    assert not target.exists()
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".compat-export")]
    target.mkdir()
    (target / "keep").write_text("x")
    with pytest.raises(FileExistsError, match="already exists"):
        export_tf2(p.sess, str(target), {"serving_default": ({"user_ids": p.user_ids},
                                                             {"s": p.scores})})
    assert (target / "keep").read_text() == "x"
    with pytest.raises(ValueError, match="at least one signature"):
        export_tf2(p.sess, str(tmp_path / "o2"), {})
    p.close()
