"""What the main job leaves behind and prints: TensorBoard logs that TensorBoard reads,
and a console with only the job's own lines (TensorFlow's chatter silenced unless
--verbose)."""

import json
import math
import os
import pathlib
import re
import subprocess
import sys

import pytest

from legacy import data as data_lib
from tests.conftest import TF_CHATTER
from legacy import pipeline

ROOT = pathlib.Path(__file__).resolve().parents[2]
BATCH = pipeline.DEFAULTS["batch_size"]


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory):
    """A small ratings.csv (120 users, 150 items, 2,400 train ratings): the whole job
    runs in seconds; FM takes 3 steps per epoch."""
    data = data_lib.synthetic(n_users=120, n_items=150, n_ratings=3000, seed=7)
    rows = sorted(map(tuple, data.train.tolist() + data.test.tolist()))
    path = tmp_path_factory.mktemp("small") / "ratings.csv"
    with open(path, "w") as f:
        f.write("userId,movieId,rating,timestamp\n")
        for u, i, r in rows:
            f.write(f"{int(u) + 1},{int(i) + 1},{r:.1f},0\n")
    return path


def _main(tmp_path, small_csv, backend, epochs, ported=""):
    metrics_path = tmp_path / "metrics.json"
    args = ["--data", str(small_csv), "--backend", backend, "--out", str(tmp_path / "out"),
            "--epochs", str(epochs), "--metrics-json", str(metrics_path), "--no-progress",
            "--ported", ported]
    assert pipeline.main(args) == 0
    return json.loads(metrics_path.read_text())


def _scalars(logdir):
    """{tag: [(step, value)]} for every tag TensorBoard's scalars dashboard shows, read
    the way TensorBoard's server reads a run (legacy simple_value summaries and TF2
    tf.summary tensors alike)."""
    plugin_event_accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.plugin_event_accumulator",
        reason="the tensorboard package is not installed")
    from tensorboard.util import tensor_util

    acc = plugin_event_accumulator.EventAccumulator(
        str(logdir), size_guidance={plugin_event_accumulator.TENSORS: 0})
    acc.Reload()
    return {tag: [(e.step, float(tensor_util.make_ndarray(e.tensor_proto)))
                  for e in acc.Tensors(tag)]
            for tag in acc.PluginTagToContent("scalars")}


def _check_fm_curves(logdir, small_csv, tags, first_step, epochs):
    """One value per tag and epoch (the epoch's first batch), at steps one epoch apart."""
    logdir = pathlib.Path(logdir)
    assert len(list(logdir.glob("events.out.tfevents.*"))) == 1  # this run's only
    scalars = _scalars(logdir)
    assert set(scalars) == set(tags)
    steps_per_epoch = -(-len(data_lib.load(str(small_csv)).train) // BATCH)
    assert steps_per_epoch == 3
    expected_steps = [first_step + e * steps_per_epoch for e in range(epochs)]
    for tag in tags:
        assert [step for step, _ in scalars[tag]] == expected_steps, tag
        for _, value in scalars[tag]:
            assert math.isfinite(value) and 0.0 < value < 10.0, (tag, value)
    mse, loss = (scalars[t] for t in tags)
    for (_, m), (_, lo) in zip(mse, loss):
        assert m <= lo  # loss = mse + the L2 term


# TF 1.x names a summary after its name scope: `tf.summary.scalar("mse", ...)` next to
# the op the FM names "mse" gets the tag "mse_1" (as it did in TF 1.15). The legacy FM
# logs the step the batch started from (0 for the first batch).
LEGACY_TAGS = ("mse_1", "loss_1")


def test_tensorboard_reads_the_fm_training_curves(tmp_path, small_csv, backend):
    result = _main(tmp_path, small_csv, backend, epochs=3)
    assert result["fm_logdir"] == str(tmp_path / "out" / "fm_logs")
    _check_fm_curves(result["fm_logdir"], small_csv, LEGACY_TAGS, first_step=0, epochs=3)
    # a second run into the same --out replaces the logs (TensorBoard shows one run)
    _main(tmp_path, small_csv, backend, epochs=2)
    _check_fm_curves(result["fm_logdir"], small_csv, LEGACY_TAGS, first_step=0, epochs=2)


def test_tensorboard_reads_the_ported_fm_training_curves(tmp_path, small_csv):
    # The port writes tf.summary scalars under the plain names, at the step count after
    # the batch's update (1 for the first batch).
    result = _main(tmp_path, small_csv, "eager", epochs=3, ported="fm")
    _check_fm_curves(result["fm_logdir"], small_csv, ("mse", "loss"), first_step=1, epochs=3)


# --- the console ----------------------------------------------------------------------

NOISE = re.compile(TF_CHATTER + r"|was changed by setting attribute|tensorflow",
                   re.IGNORECASE | re.MULTILINE)
SUMMARY = {
    "fm": re.compile(r"^FM( \(ported\))? +RMSE \d\.\d{4} +loss \d+\.\d{4} -> \d+\.\d{4} +"
                     r"1 epoch, 3 steps, \d+\.\d s$", re.MULTILINE),
    "bpr_fm": re.compile(r"^BPR-FM( \(ported\))? +AUC \d\.\d{4} +loss \d+\.\d{4} -> "
                         r"\d+\.\d{4} +1 epoch, \d+ steps, \d+\.\d s$", re.MULTILINE),
    "predictor": re.compile(r"^predictor( \(ported\))? +Recall@10 \d\.\d{4} +NDCG@10 "
                            r"\d\.\d{4} +\d+ users, exported, \d+\.\d s$", re.MULTILINE),
}


def _cli(tmp_path, small_csv, *args):
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "PYTHONWARNINGS", "COMPAT_PORTED",
                        "COMPAT_BACKEND")}
    proc = subprocess.run(
        [sys.executable, "-m", "legacy.pipeline", "--data", str(small_csv), "--epochs", "1",
         "--out", str(tmp_path / "out"), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.mark.parametrize("backend, ported", [("graph", ""), ("eager", ""),
                                             ("eager", "fm,bpr_fm,predictor")])
def test_the_main_job_prints_only_its_own_lines(tmp_path, small_csv, backend, ported):
    proc = _cli(tmp_path, small_csv, "--backend", backend, "--ported", ported)
    both = proc.stderr + proc.stdout
    assert not NOISE.search(both), both
    # stderr: the data line and one summary line per model, nothing else
    lines = proc.stderr.splitlines()
    assert len(lines) == 4, proc.stderr
    assert lines[0].startswith("data ratings.csv:") and lines[0].endswith(f"backend {backend}")
    for module, pattern in SUMMARY.items():
        match = pattern.search(proc.stderr)
        assert match, (module, proc.stderr)
        assert bool(match.group(1)) == (module in ported), match.group(0)
    # stdout: the result
    assert f"backend: {backend}" in proc.stdout
    assert f"tensorboard --logdir {tmp_path / 'out' / 'fm_logs'}" in proc.stdout
    assert "| system | RMSE | AUC | Recall@10 | NDCG@10 |" in proc.stdout


def test_verbose_shows_tensorflows_own_logging(tmp_path, small_csv):
    proc = _cli(tmp_path, small_csv, "--backend", "graph", "--ported", "", "--verbose")
    both = proc.stderr + proc.stdout
    assert "Instructions for updating" in both          # TF's deprecation notices
    assert "tensorflow INFO Restoring parameters from" in both  # TF's Python logger
    assert "legacy.fm DEBUG fm epoch 1 loss" in both    # the job's debug log
    for pattern in SUMMARY.values():
        assert pattern.search(re.sub(r"^\S+ \S+ legacy.pipeline INFO ", "", both,
                                     flags=re.MULTILINE))
    # TF's C++ logging is at its own default here; the predictor's export used to make
    # the C API warn "... was changed by setting attribute after it was run by a session"
    assert "was changed by setting attribute" not in both
