"""Checkpoints across backends: Saver semantics, TF1 errors, crash safety, object-based
checkpoints and the name-map converter."""

import concurrent.futures
import os
import random
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf2

import compat
import compat.v1 as tf
from compat.persistence import checkpoint
from tests.persistence import writer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def model(shape=(3, 2), scope="m"):
    graph = tf.Graph()
    with graph.as_default(), tf.variable_scope(scope):
        w = tf.get_variable("w", list(shape), initializer=tf.random_normal_initializer(seed=1))
        b = tf.get_variable("b", [shape[-1]], initializer=tf.ones_initializer())
        step = tf.train.get_or_create_global_step()
        bump = tf.group(tf.assign_add(w, tf.ones_like(w)), tf.assign_add(step, 1))
    return graph, w, b, step, bump


def session(graph, backend, init=True):
    sess = tf.Session(graph=graph, backend=backend)
    if init:
        with graph.as_default():
            sess.run(tf.global_variables_initializer())
    return sess


@pytest.mark.parametrize("src", compat.BACKENDS)
@pytest.mark.parametrize("dst", compat.BACKENDS)
def test_checkpoints_restore_bit_identically_on_the_other_backend(src, dst, tmp_path):
    graph, w, b, step, bump = model()
    with graph.as_default():
        saver = tf.train.Saver()
    sess = session(graph, src)
    sess.run(bump)
    path = saver.save(sess, str(tmp_path / "ckpt"), global_step=step)
    assert path.endswith("ckpt-1")
    want = sess.run([w, b, step])
    graph2, w2, b2, step2, _ = model()
    with graph2.as_default():
        saver2 = tf.train.Saver()
    sess2 = session(graph2, dst, init=False)
    saver2.restore(sess2, tf.train.latest_checkpoint(str(tmp_path)))
    for got, expected in zip(sess2.run([w2, b2, step2]), want):
        np.testing.assert_array_equal(got, expected)


def test_var_list_dict_renames_max_to_keep_and_state(backend, tmp_path):
    graph, w, b, step, bump = model()
    with graph.as_default():
        saver = tf.train.Saver({"renamed/kernel": w, "global_step": step}, max_to_keep=2)
    sess = session(graph, backend)
    paths = []
    for _ in range(3):
        sess.run(bump)
        paths.append(saver.save(sess, str(tmp_path / "model"), global_step=step))
    assert [os.path.basename(p) for p in paths] == ["model-1", "model-2", "model-3"]
    assert not os.path.exists(paths[0] + ".index")  # max_to_keep deleted the oldest
    assert saver.last_checkpoints == paths[1:]
    assert tf.train.latest_checkpoint(str(tmp_path)) == paths[-1]
    names = dict(tf2.train.list_variables(paths[-1]))
    assert names == {"renamed/kernel": [3, 2], "global_step": []}


def test_shape_mismatch_raises_tf1_error_and_restores_nothing(backend, tmp_path):
    graph, w, b, step, bump = model((3, 2))
    with graph.as_default():
        saver = tf.train.Saver()
    path = saver.save(session(graph, backend), str(tmp_path / "ckpt"))
    graph2, w2, b2, step2, _ = model((4, 2))
    with graph2.as_default():
        saver2 = tf.train.Saver()
    sess2 = session(graph2, backend)
    before = sess2.run([w2, b2])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"variable 'm/w'.*lhs shape= \[4, 2\] rhs shape= \[3, 2\]"):
        saver2.restore(sess2, path)
    after = sess2.run([w2, b2])
    for x, y in zip(before, after):
        np.testing.assert_array_equal(x, y)  # nothing restored, b included


def test_missing_key_and_bad_paths(backend, tmp_path):
    graph, *_ = model(scope="m")
    with graph.as_default():
        saver = tf.train.Saver()
    path = saver.save(session(graph, backend), str(tmp_path / "ckpt"))
    graph2, *_ = model(scope="other")
    with graph2.as_default():
        saver2 = tf.train.Saver()
    sess2 = session(graph2, backend)
    missing = r"\['other/b', 'other/global_step', 'other/w'\]"
    with pytest.raises(tf.errors.NotFoundError,
                       match=r"Key other/b not found in checkpoint \(missing keys: " + missing):
        saver2.restore(sess2, path)
    with pytest.raises(ValueError, match="not a valid checkpoint"):
        saver2.restore(sess2, str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="save_path when it is None"):
        saver2.restore(sess2, None)


@pytest.mark.parametrize("damage", ["truncate-data", "truncate-index", "garbage-index"])
def test_corrupt_checkpoint_names_the_files(damage, backend, tmp_path):
    graph, w, *_ = model()
    with graph.as_default():
        saver = tf.train.Saver()
    sess = session(graph, backend)
    path = saver.save(sess, str(tmp_path / "ckpt"))
    if damage == "truncate-data":
        with open(path + ".data-00000-of-00001", "r+b") as f:
            f.truncate(7)
    elif damage == "truncate-index":
        with open(path + ".index", "r+b") as f:
            f.truncate(10)
    else:
        with open(path + ".index", "wb") as f:
            f.write(b"\x00not a checkpoint index\x00" * 4)
    sess2 = session(graph, backend)
    before = sess2.run(w)
    with pytest.raises(tf.errors.DataLossError, match="corrupt or truncated") as info:
        saver.restore(sess2, path)
    assert path + ".index" in str(info.value)
    np.testing.assert_array_equal(sess2.run(w), before)
    with pytest.raises(tf.errors.DataLossError, match="corrupt or truncated"):
        checkpoint.read_checkpoint(path)


def test_missing_data_shard_is_named_first_and_restores_nothing(backend, tmp_path):
    graph, w, b, step, bump = model()
    with graph.as_default():
        saver = tf.train.Saver()
    path = saver.save(session(graph, backend), str(tmp_path / "ckpt"))
    os.remove(path + ".data-00000-of-00001")
    sess2 = session(graph, backend)
    sess2.run(bump)
    before = sess2.run([w, b, step])
    missing = f"^Checkpoint data file {re.escape(path)}\\.data-00000-of-00001 is missing"
    with pytest.raises(tf.errors.NotFoundError, match=missing) as info:
        saver.restore(sess2, path)
    assert "Variable name or other graph key" not in str(info.value)
    for x, y in zip(before, sess2.run([w, b, step])):
        np.testing.assert_array_equal(x, y)  # nothing restored
    with pytest.raises(tf.errors.NotFoundError, match=missing):
        checkpoint.read_checkpoint(path)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt.index", "ckpt.meta"]


def test_missing_shard_of_a_sharded_checkpoint_is_named(tmp_path):
    parts = [checkpoint.write_name_based({name: np.ones(3, np.float32)}, str(tmp_path / name))
             for name in ("a", "b")]
    prefix = str(tmp_path / "sharded")
    tf2.raw_ops.MergeV2Checkpoints(checkpoint_prefixes=parts, destination_prefix=prefix)
    assert sorted(checkpoint.read_checkpoint(prefix)) == ["a", "b"]
    os.remove(prefix + ".data-00001-of-00002")
    with pytest.raises(tf.errors.NotFoundError,
                       match=r"^Checkpoint data file .*sharded\.data-00001-of-00002 is missing"):
        checkpoint.read_checkpoint(prefix)


def test_resaving_one_prefix_leaves_no_backup(backend, tmp_path):
    graph, w, b, step, bump = model()
    with graph.as_default():
        saver = tf.train.Saver()
    sess = session(graph, backend)
    prefix = str(tmp_path / "model")
    for _ in range(3):
        sess.run(bump)
        assert saver.save(sess, prefix) == prefix
    assert tf.train.latest_checkpoint(str(tmp_path)) == prefix
    assert not [f for f in os.listdir(tmp_path) if "compat-prev" in f]
    assert checkpoint.read_checkpoint(prefix)["m/global_step"] == 3


# --- killed mid-save -------------------------------------------------------------
def _run_writer(directory, backend, mode, stage, kill_after=None):
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.persistence.writer", directory, backend, mode, stage],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT, text=True)
    done = []
    try:
        if kill_after is not None:
            for line in proc.stdout:
                done.append(int(line))
                if done[-1] >= 3:
                    time.sleep(kill_after)
                    proc.send_signal(signal.SIGKILL)
                    break
        proc.wait(timeout=120)
        done += [int(line) for line in proc.stdout.read().split()]
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, done


KILLS = [("graph", "same", "linked"), ("eager", "same", "state_on_backup"),
         ("graph", "same", "before_save"), ("eager", "same", "saved"),
         ("eager", "step", "before_save"), ("graph", "step", "saved"),
         ("graph", "same", 0.05), ("eager", "same", 0.11), ("graph", "step", 0.07)]


def test_a_writer_killed_at_any_point_leaves_a_complete_latest_checkpoint(tmp_path):
    jobs = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        for i, (backend, mode, when) in enumerate(KILLS):
            directory = tmp_path / f"run{i}"
            directory.mkdir()
            if isinstance(when, str):
                job = pool.submit(_run_writer, str(directory), backend, mode, when)
            else:
                job = pool.submit(_run_writer, str(directory), backend, mode, "none",
                                  when * random.uniform(0.5, 1.5))
            jobs.append((directory, backend, mode, when, job))
        for directory, backend, mode, when, job in jobs:
            code, done = job.result()
            assert code == -signal.SIGKILL, (when, code)
            latest = tf2.train.latest_checkpoint(str(directory))
            assert latest is not None, (when, os.listdir(directory))
            values = checkpoint.read_checkpoint(latest)["v"]
            assert values.shape == (writer.SIZE,)
            step = values[0]
            assert np.all(values == step), when  # one complete save, not a mix
            # the last save that returned is there (or the one in flight completed)
            assert step >= max(done), (when, step, done)
            # and a fresh graph restores it with the shim's Saver
            graph = tf.Graph()
            with graph.as_default():
                v = tf.get_variable("v", [writer.SIZE])
                saver = tf.train.Saver()
            sess = tf.Session(graph=graph, backend="eager")
            saver.restore(sess, latest)
            assert sess.run(v)[0] == step


# --- object-based checkpoints and the converter -------------------------------------
def test_session_checkpoint_on_eager_acts_on_the_session(tmp_path):
    graph, w, b, step, bump = model()
    sess = session(graph, "eager")
    ckpt = checkpoint.session_checkpoint(sess, {"dense/kernel": "m/w", "dense/bias": "m/b"})
    path = ckpt.write(str(tmp_path / "obj"))
    before = sess.run(w)
    sess.run(bump)
    ckpt.read(path).assert_consumed()
    np.testing.assert_array_equal(sess.run(w), before)
    keys = dict(tf2.train.list_variables(path))
    assert keys["dense/kernel/.ATTRIBUTES/VARIABLE_VALUE"] == [3, 2]


def test_session_checkpoint_on_graph_copies_values(tmp_path):
    graph, w, *_ = model()
    sess = session(graph, "graph")
    ckpt = checkpoint.session_checkpoint(sess)
    path = ckpt.write(str(tmp_path / "obj"))
    keys = dict(tf2.train.list_variables(path))
    assert keys["m..w/.ATTRIBUTES/VARIABLE_VALUE"] == [3, 2]  # '.' escaped by TF
    np.testing.assert_array_equal(tf2.train.load_checkpoint(path).get_tensor(
        "m..w/.ATTRIBUTES/VARIABLE_VALUE"), sess.run(w))


def test_ported_module_restores_a_legacy_checkpoint_through_a_name_map(backend, tmp_path):
    graph, w, b, step, bump = model()
    with graph.as_default():
        saver = tf.train.Saver()
    sess = session(graph, backend)
    sess.run(bump)
    legacy = saver.save(sess, str(tmp_path / "legacy"))
    name_map = {"layer/kernel": "m/w", "layer/bias": "m/b"}
    obj = checkpoint.name_to_object(legacy, name_map, str(tmp_path / "tf2" / "ckpt"))

    class Layer(tf2.Module):  # a ported TF2 module
        def __init__(self):
            self.kernel = tf2.Variable(tf2.zeros([3, 2]))
            self.bias = tf2.Variable(tf2.zeros([2]))

    ported = tf2.Module()
    ported.layer = Layer()
    tf2.train.Checkpoint(layer=ported.layer).read(obj).assert_consumed()
    np.testing.assert_array_equal(ported.layer.kernel.numpy(), sess.run(w))
    np.testing.assert_array_equal(ported.layer.bias.numpy(), sess.run(b))
    # and back: the ported module's checkpoint restores into the legacy graph
    ported.layer.kernel.assign_add(tf2.ones([3, 2]))
    obj2 = tf2.train.Checkpoint(layer=ported.layer).write(str(tmp_path / "tf2b" / "ckpt"))
    back = checkpoint.object_to_name(obj2, name_map, str(tmp_path / "back" / "ckpt"))
    graph2, w2, b2, *_ = model()
    with graph2.as_default():
        saver2 = tf.train.Saver([w2, b2])
    sess2 = session(graph2, backend)
    saver2.restore(sess2, back)
    np.testing.assert_array_equal(sess2.run(w2), ported.layer.kernel.numpy())


def test_converter_errors_name_what_is_missing(tmp_path):
    graph, *_ = model()
    with graph.as_default():
        saver = tf.train.Saver()
    legacy = saver.save(session(graph, "graph"), str(tmp_path / "legacy"))
    with pytest.raises(tf.errors.NotFoundError, match=r"no variables named \['m/nope'\]"):
        checkpoint.name_to_object(legacy, {"x": "m/nope"}, str(tmp_path / "o"))
    assert not os.path.exists(str(tmp_path / "o.index"))
    with pytest.raises(tf.errors.NotFoundError, match="has no object 'x'"):
        checkpoint.object_to_name(legacy, {"x": "m/w"}, str(tmp_path / "n"))
    with pytest.raises(tf.errors.NotFoundError, match="No checkpoint at"):
        checkpoint.read_checkpoint(str(tmp_path / "absent"))


def test_dict_var_list_shape_check_and_restore(backend, tmp_path):
    graph, w, b, step, bump = model((3, 2))
    with graph.as_default():
        saver = tf.train.Saver({"kernel": w})
    sess = session(graph, backend)
    path = saver.save(sess, str(tmp_path / "ckpt"))
    graph2, w2, *_ = model((3, 2), scope="other")
    with graph2.as_default():
        ok = tf.train.Saver({"kernel": w2})
    sess2 = session(graph2, backend)
    ok.restore(sess2, path)
    np.testing.assert_array_equal(sess2.run(w2), sess.run(w))
    graph3, w3, *_ = model((2, 2), scope="third")
    with graph3.as_default():
        bad = tf.train.Saver({"kernel": w3})
    with pytest.raises(tf.errors.InvalidArgumentError, match="variable 'kernel'"):
        bad.restore(session(graph3, backend), path)
