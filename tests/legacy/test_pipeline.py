"""The pipeline CLI end to end: synthetic default data, real MovieLens u1 quality bar."""

import json
import os
import pathlib
import sys

import pytest

from legacy import pipeline

ML100K = pathlib.Path(__file__).resolve().parents[3] / "shared" / "data" / "ml-100k"
# Metrics of the two backends agree to this tolerance (they are bit-identical today).
BACKEND_METRIC_ATOL = 1e-6


def _run(tmp_path, backend, epochs, data=None, ported=""):
    out = tmp_path / f"{backend}{ported}"
    metrics_path = tmp_path / f"{backend}{ported}.json"
    args = ["--backend", backend, "--out", str(out), "--epochs", str(epochs),
            "--metrics-json", str(metrics_path), "--no-progress", "--ported", ported]
    if data:
        args += ["--data", str(data)]
    assert pipeline.main(args) == 0
    result = json.loads(metrics_path.read_text())
    for key in ("fm_rmse", "bpr_auc", "rec_recall_at_10", "rec_ndcg_at_10", "wall_s"):
        assert key in result
    assert os.path.isfile(os.path.join(result["export_dir"], "saved_model.pb"))
    return result


def test_pipeline_on_synthetic_data_both_backends_agree(tmp_path, capsys):
    graph = _run(tmp_path, "graph", 2)
    eager = _run(tmp_path, "eager", 2)
    for key in ("fm_rmse", "bpr_auc", "rec_recall_at_10", "rec_ndcg_at_10"):
        assert abs(graph[key] - eager[key]) <= BACKEND_METRIC_ATOL, key
    assert graph["fm_loss_history"][-1] < graph["fm_loss_history"][0]
    assert graph["bpr_auc"] > 0.6
    out = capsys.readouterr().out
    assert "| **legacy FM / BPR-FM / predictor (eager)** |" in out
    assert "other rows were measured on MovieLens-100K u1; this run used synthetic" in out


def test_pipeline_cli_errors(tmp_path, capsys):
    assert pipeline.main(["--data", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 2
    assert "MovieLens directory not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        pipeline.main(["--backend", "tpu"])
    with pytest.raises(SystemExit):
        pipeline.main(["--epochs", "0"])


@pytest.mark.skipif(not (ML100K / "u1.base").is_file(),
                    reason=f"MovieLens-100K not found at {ML100K} (../shared is absent)")
def test_quality_bar_on_movielens_u1(tmp_path, capsys):
    args = ["--backend", "graph", "--out", str(tmp_path / "out"), "--data", str(ML100K),
            "--metrics-json", str(tmp_path / "m.json"), "--no-progress"]
    assert pipeline.main(args) == 0
    assert "other rows were measured" not in capsys.readouterr().out  # same data
    result = json.loads((tmp_path / "m.json").read_text())
    assert result["fm_rmse"] <= 0.93
    assert result["bpr_auc"] >= 0.89
    assert result["rec_recall_at_10"] >= 0.42
    assert result["wall_s"] < 600


# A ported module is not bit-identical to its legacy twin (TF2 Keras Adam vs TF1
# AdamOptimizer rounding, stateless vs graph-seeded init): metrics agree to this.
PORTED_METRIC_ATOL = 0.02


@pytest.mark.parametrize("backend", ["graph", "eager"])
def test_pipeline_with_ported_modules_matches_legacy(tmp_path, capsys, backend):
    legacy = _run(tmp_path, backend, 2)
    mixed = _run(tmp_path, backend, 2, ported="fm")
    assert mixed["ported"] == ["fm"] and legacy["ported"] == []
    for key in ("fm_rmse", "rec_recall_at_10", "rec_ndcg_at_10"):
        assert abs(mixed[key] - legacy[key]) <= PORTED_METRIC_ATOL, key
    assert mixed["bpr_auc"] == legacy["bpr_auc"]  # BPR-FM is the same legacy module
    assert f"ported: fm ({backend})" in capsys.readouterr().out
    # the ported predictor serving the legacy FM's and BPR-FM's checkpoints computes
    # the legacy predictor's numbers (same checkpoints, same math, float32 on CPU)
    serving = _run(tmp_path, backend, 2, ported="predictor")
    for key in ("fm_rmse", "bpr_auc", "rec_recall_at_10", "rec_ndcg_at_10"):
        assert serving[key] == legacy[key], key
    both = _run(tmp_path, backend, 2, ported="fm,bpr_fm,predictor")
    for key in ("fm_rmse", "bpr_auc", "rec_recall_at_10", "rec_ndcg_at_10"):
        assert abs(both[key] - legacy[key]) <= PORTED_METRIC_ATOL, key


def test_pipeline_runs_with_the_legacy_modules_retired(tmp_path, monkeypatch, no_v1_session):
    """All three modules ported: the legacy model modules and the shim's TF1 API can be
    deleted (importing them fails here) and no v1 Session is constructed."""
    for name in ("legacy.fm", "legacy.bpr_fm", "legacy.predictor", "compat.v1"):
        monkeypatch.setitem(sys.modules, name, None)
    result = _run(tmp_path, "eager", 1, ported="predictor,bpr_fm,fm")
    assert result["ported"] == ["predictor", "bpr_fm", "fm"]
    assert result["bpr_auc"] > 0.55
    with pytest.raises(ImportError):
        _run(tmp_path, "eager", 1, ported="fm,bpr_fm")  # the retired legacy predictor


def test_ported_modules_come_from_flag_env_or_setup_cfg(tmp_path, monkeypatch):
    monkeypatch.delenv("COMPAT_PORTED", raising=False)
    (tmp_path / "setup.cfg").write_text("[legacy.pipeline]\nported = fm, predictor\n")
    (tmp_path / "sub").mkdir()
    assert pipeline.configured_ported(str(tmp_path / "sub")) == "fm, predictor"
    monkeypatch.setenv("COMPAT_PORTED", "bpr_fm")
    assert pipeline.configured_ported(str(tmp_path / "sub")) == "bpr_fm"
    monkeypatch.delenv("COMPAT_PORTED")
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = x\n")
    assert pipeline.configured_ported(str(tmp_path)) == ""
    assert pipeline.parse_ported(" fm,predictor,fm ") == ("fm", "predictor")


def test_pipeline_rejects_unknown_modules(capsys):
    assert pipeline.main(["--ported", "svd", "--epochs", "1"]) == 2
    assert "unknown module 'svd'; modules: fm, bpr_fm, predictor" in capsys.readouterr().err
