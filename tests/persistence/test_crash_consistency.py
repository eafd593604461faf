"""Crash consistency of ``Saver.save``, proven by enumeration rather than sampled.

A kill can land at any *write point* of a save: each file TensorFlow or the shim
writes, renames, links or deletes. :class:`Disk` finds them by instrumenting the only
calls a save mutates files with (``os``/``shutil``, TF's ``file_io`` and the SaveV2
kernel, replayed in TF's writer order: data shard, then index, each through a
``.tempstate`` file and a rename) and audits the directory around every point, so a
write it did not see fails the test; ``test_the_write_points_are_the_real_syscalls``
checks them against ``strace``.

A kill at point k leaves the disk as it was before op k (plus half of the file a write
was writing), so one recorded save yields every state a kill in it can leave. The
exhaustive tests take every such state of a save, then of the next save from each of
them, and check that the latest checkpoint restores all variables from ONE step, no
older than the last save that returned (restores write nothing: a kill in one changes
nothing). The state machine kills real saves (no further code runs), injects errors,
restarts and restores in random orders on both backends.
"""

import contextlib
import errno
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from unittest import mock

import numpy as np
import pytest
import tensorflow as tf2
from hypothesis import event, settings, strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, invariant, rule,
                                 run_state_machine_as_test)
from tensorflow.python.lib.io import file_io

import compat
import compat.v1 as tf
from compat.persistence import checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_POINTS = 26  # the most write points a save has (see the exhaustive tests)
NAMED = ("data-00000-of-00001.tempstate", "index.tempstate", "meta.tmp", "stage saved",
         "unlink", "link")  # kill points by name: the first point whose name has it
_real = {name: getattr(os, name) for name in ("link", "remove", "unlink", "replace",
                                              "rename")}
_real_copy2 = shutil.copy2


class Crash(BaseException):
    """A simulated SIGKILL at a write point: the code under test handles only
    ``Exception``, so nothing after the point runs."""


def injected_error(kind):
    """The error a failing write point raises: TF's class for TF's file calls."""
    if kind in ("write", "rename-tf", "unlink-tf"):
        return tf.errors.ResourceExhaustedError(None, None, "injected: no space left")
    return OSError(errno.ENOSPC, "injected: no space left")


# --- the instrument ----------------------------------------------------------------
class Disk:
    """Runs a block with every write point in `directory` recorded (``points``) and,
    with `record`, the disk state a kill would leave at each one (``states``, the last
    one: the block's end). Kills the block at point `stop_at`, or fails the operation
    at point `fail_at` (each an index, or the first point whose name contains it)."""

    def __init__(self, directory, job=None, stop_at=None, fail_at=None, record=False):
        self.directory = os.path.abspath(directory)
        self.job, self.stop_at, self.fail_at, self.record = job, stop_at, fail_at, record
        self.points, self.states = [], []
        self._scratch = tempfile.mkdtemp(prefix="compat-kernel-")
        self._stack = contextlib.ExitStack()

    def __enter__(self):
        patch = self._stack.enter_context
        for name in ("link", "replace", "rename"):
            patch(mock.patch.object(os, name, self._wrap(name, _real[name], 2)))
        for name in ("remove", "unlink"):
            patch(mock.patch.object(os, name, self._wrap("unlink", _real[name], 1)))
        patch(mock.patch.object(shutil, "copy2", self._copy2))
        patch(mock.patch.object(file_io, "write_string_to_file", self._write_string))
        patch(mock.patch.object(file_io, "rename_v2",
                                self._wrap("rename-tf", file_io.rename_v2, 2)))
        patch(mock.patch.object(file_io, "delete_file_v2",
                                self._wrap("unlink-tf", file_io.delete_file_v2, 1)))
        patch(mock.patch.object(checkpoint, "_fault_point",
                                lambda stage: self._point("stage", [stage])))
        if self.job is not None:
            patch(mock.patch.object(self.job.sess, "run", self._run(self.job.sess.run)))
        self._last = _listing(self.directory)
        return self

    def __exit__(self, *exc):
        self._stack.close()
        shutil.rmtree(self._scratch, ignore_errors=True)
        self._audit()
        if self.record:
            self.states.append(("end", _snapshot(self.directory)))
        return False

    # each write point: audit, record, then stop, fail or do the operation
    def _point(self, kind, paths, operation=lambda: None, partial=None):
        self._audit()
        index = len(self.points)
        self.points.append(" ".join([kind.replace("-tf", "")] + [
            _name(p, self.directory) for p in paths]))
        if self.record:
            self.states.append((self.points[-1], _snapshot(self.directory)))
            if partial is not None:
                self.states.append((self.points[-1] + " (half)",
                                    {**self.states[-1][1], _rel(partial[0], self.directory):
                                     partial[1]}))
        if _at(self.stop_at, index, self.points):
            if partial is not None:
                _write(*partial)
            self._last = _listing(self.directory)
            raise Crash(self.points[-1])
        if _at(self.fail_at, index, self.points) and kind != "stage":
            raise injected_error(kind)
        result = operation()
        self._last = _listing(self.directory)
        return result

    def _audit(self):
        assert _listing(self.directory) == self._last, (
            "a write the instrument did not see, after", self.points[-1:])

    def _inside(self, path):
        return os.path.abspath(os.fspath(path)).startswith(self.directory + os.sep)

    def _wrap(self, kind, real, arity):
        def call(*args, **kwargs):
            paths = [os.fspath(p) for p in args[:arity]]
            if not any(self._inside(p) for p in paths):
                return real(*args, **kwargs)
            return self._point(kind, paths, lambda: real(*args, **kwargs))
        return call

    def _copy2(self, src, dst, **kwargs):
        if not self._inside(dst):
            return _real_copy2(src, dst, **kwargs)
        half = _read(src)[:os.path.getsize(src) // 2]
        return self._point("copy", [src, dst], lambda: _real_copy2(src, dst, **kwargs),
                           (os.fspath(dst), half))

    def _write_string(self, filename, file_content, _real_write=file_io.write_string_to_file):
        if not self._inside(filename):
            return _real_write(filename, file_content)
        content = file_content.encode() if isinstance(file_content, str) else file_content
        return self._point("write", [filename], lambda: _real_write(filename, file_content),
                           (filename, content[:len(content) // 2]))

    def _run(self, real_run):
        save_tensor = self.job.saver.saver_def.save_tensor_name

        def run(fetches, feed_dict=None, *args, **kwargs):
            if fetches != save_tensor:
                return real_run(fetches, feed_dict, *args, **kwargs)
            (filename_tensor, prefix), = feed_dict.items()
            bundle = os.path.join(self._scratch, "bundle")
            real_run(fetches, {filename_tensor: bundle}, *args, **kwargs)
            self._bundle(bundle, prefix)
            return prefix.encode()
        return run

    def _bundle(self, bundle, prefix):
        """Moves the kernel's output into place as TF's BundleWriter does: each data
        shard, then the index, written to a .tempstate file and renamed."""
        shards = sorted(f for f in os.listdir(self._scratch) if ".data-" in f)
        for suffix in [f[len("bundle"):] for f in shards] + [".index"]:
            source, final = bundle + suffix, prefix + suffix
            temp = f"{final}.tempstate{int.from_bytes(os.urandom(8), 'big')}"
            half = _read(source)[:os.path.getsize(source) // 2]
            self._point("write", [temp], lambda: _real["replace"](source, temp), (temp, half))
            self._point("rename", [temp, final], lambda: _real["replace"](temp, final))


def _at(where, index, points):
    """Whether point `index` (the last of `points`) is `where`: the same index, or
    the first point whose name contains it."""
    if isinstance(where, str):
        return where in points[-1] and not any(where in p for p in points[:-1])
    return index == where


def _name(path, directory):
    return _rel(path, directory) if os.path.isabs(os.fspath(path)) else os.fspath(path)


def _rel(path, directory):
    return os.path.relpath(os.path.abspath(os.fspath(path)), directory)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _listing(directory):
    """What a write changes: each file's name, inode, size and modification time."""
    return {e.name: (e.inode(), e.stat().st_size, e.stat().st_mtime_ns)
            for e in os.scandir(directory)}


def _snapshot(directory):
    return {name: _read(os.path.join(directory, name)) for name in os.listdir(directory)}


def _load(snapshot, directory):
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for name, data in snapshot.items():
        _write(os.path.join(directory, name), data)


def _untemp(name):
    """`name` without the random part of a temporary file name."""
    return re.sub(r"tempstate\d+|tmp[0-9a-f]{32}", "tmp#", name)


def _normal(points):
    """Write points, stages left out, temporary names without their random part."""
    return [_untemp(p) for p in points if not p.startswith("stage")]


def _kind(point):
    """A write point without random or step numbers (for statistics)."""
    return _untemp(re.sub(r"model-\d+", "model-N", point))


def _signature(snapshot):
    """A snapshot up to the random parts of temporary file names."""
    return frozenset((_untemp(name), hashlib.sha1(data).hexdigest())
                     for name, data in snapshot.items())


def _junk(directory, prefix="model"):
    """Backup and half-written temporary files of `prefix` left in `directory`."""
    return [f for f in os.listdir(directory) if f.startswith(prefix + ".") and (
        checkpoint._BACKUP_SUFFIX in f or "tempstate" in f or ".meta.tmp" in f)]


# --- the training job ----------------------------------------------------------------
class Job:
    """One training process: a graph, a `backend` session and a Saver; training step
    k sets every variable to k, so a checkpoint's values tell the step(s) it holds."""

    def __init__(self, backend, directory):
        self.directory = str(directory)
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.variables = [tf.get_variable("w", [4, 3]), tf.get_variable("b", [3]),
                              tf.train.get_or_create_global_step()]
            self.value = tf.placeholder(tf.int64, [])
            self.assign = tf.group(*[tf.assign(v, tf.fill(v.shape.as_list(), tf.cast(
                self.value, v.dtype.base_dtype))) for v in self.variables])
            self.saver = tf.train.Saver(max_to_keep=2)
        self.sess = tf.Session(graph=self.graph, backend=backend)
        self.step = None

    def start(self):
        """What a restarted job does: restores the latest checkpoint, or starts at 0."""
        latest = tf.train.latest_checkpoint(self.directory)
        if latest is None:
            self.train(0)
        else:
            self.restore(latest)
        return self

    def train(self, step):
        self.sess.run(self.assign, {self.value: step})
        self.step = step

    def save(self, same):
        prefix = os.path.join(self.directory, "model")
        return self.saver.save(self.sess, prefix, None if same else self.step)

    def restore(self, path):
        """Restores `path` (writing nothing) and returns the one step it holds."""
        with Disk(self.directory) as disk:
            self.saver.restore(self.sess, path)
        assert disk.points == [], disk.points
        self.step = one_step(dict(zip("wbs", self.sess.run(self.variables))))
        return self.step


def one_step(values):
    """The training step every value holds; fails on a mix of steps."""
    steps = {float(x) for v in values.values() for x in np.ravel(v)}
    assert len(steps) == 1, f"variables from several steps: {values}"
    return int(steps.pop())


def latest_step(directory):
    """The step of the latest checkpoint, read with TF's reader (no session)."""
    latest = tf2.train.latest_checkpoint(directory)
    assert latest is not None, os.listdir(directory)
    return one_step(checkpoint.read_checkpoint(latest))


# --- the reported bug, step by step ----------------------------------------------------
def test_two_kills_in_a_row_between_data_and_index_lose_nothing(backend, tmp_path):
    job = Job(backend, tmp_path).start()
    for step in (1, 2):
        job.train(step)
        job.save(same=True)
    for step in (3, 4):  # killed twice in a row: new data shard renamed, index not
        job = Job(backend, tmp_path).start()
        job.train(step)
        with pytest.raises(Crash, match="index.tempstate"), Disk(
                tmp_path, job, stop_at="index.tempstate"):
            job.save(same=True)
        assert latest_step(str(tmp_path)) == 2
    job = Job(backend, tmp_path).start()
    assert job.step == 2
    assert job.restore(str(tmp_path / "model")) == 2  # the prefix: its kept version
    job.train(5)
    job.save(same=True)
    assert latest_step(str(tmp_path)) == 5 and not _junk(str(tmp_path))


def test_a_failed_state_write_does_not_make_a_later_save_delete_the_latest(backend,
                                                                           tmp_path):
    """TF queues the oldest checkpoint for deletion before it writes the state file;
    a failure there must not leave the queue behind (found by the state machine)."""
    job = Job(backend, tmp_path).start()
    for step in (1, 2, 3):
        job.train(step)
        job.save(same=False)
    job.train(4)
    with pytest.raises(tf.errors.ResourceExhaustedError, match="injected"), Disk(
            tmp_path, job, fail_at="write checkpoint.tmp"):
        job.save(same=True)
    for step, same in ((5, False), (6, False), (7, True)):
        job.train(step)
        job.save(same)
        assert latest_step(str(tmp_path)) == step


# --- every crash state of two consecutive saves ------------------------------------------
def _crash_states(job, same, fail_at=None):
    """Trains `job` a step and saves. Returns the step, the write points, every state
    a kill can leave (the last: the save's end) and the save's error."""
    job.train(job.step + 1)
    error = None
    with Disk(job.directory, job, fail_at=fail_at, record=True) as disk:
        try:
            job.save(same)
        except (OSError, tf.errors.OpError) as e:
            assert fail_at is not None and "injected" in str(e), e
            error = e
    return job.step, disk.points, disk.states, error


def _restarted(backend, directory, snapshot):
    """A job restarted on the disk state `snapshot`."""
    _load(snapshot, directory)
    return Job(backend, directory).start()


def _distinct(states):
    """`states` without repeats (the save's end kept last)."""
    out, seen = [], set()
    for where, snapshot in states[:-1]:
        if _signature(snapshot) not in seen:
            seen.add(_signature(snapshot))
            out.append((where, snapshot))
    return out + states[-1:]


def _check(directory, snapshot, completed, verifier, same):
    """The invariant in a crash state: the latest checkpoint restores, all variables
    from one step, no older than the last save that returned; so does the re-saved
    prefix itself (newer when a save completed it but was killed before the state
    file named it). Returns the latest step."""
    _load(snapshot, directory)
    step = latest_step(directory)
    assert step >= completed, (step, completed)
    assert verifier.restore(tf.train.latest_checkpoint(directory)) == step
    if same:
        assert verifier.restore(os.path.join(directory, "model")) >= step
    return step


def _saved(backend, directory, same, steps):
    """A job that saved `steps` (each save returned) in an empty `directory`."""
    job = _restarted(backend, directory, {})
    for step in steps:
        job.train(step)
        job.save(same)
    return job


@pytest.mark.parametrize("same", [True, False], ids=["one-prefix", "step-prefixes"])
def test_a_kill_at_any_point_of_two_consecutive_saves_keeps_a_restorable_latest(
        backend, same, tmp_path):
    """The first save is the third of its Saver (max_to_keep=2 deletes the oldest);
    the second runs after a restart in each state a kill of the first can leave."""
    run = str(tmp_path / "run")
    verifier = Job(backend, run)
    step, points, states, _ = _crash_states(_saved(backend, run, same, [1, 2]), same)
    assert len(points) <= MAX_POINTS, points
    firsts, seen = _distinct(states), set()
    for i, (where, snapshot) in enumerate(firsts):
        completed = step if i == len(firsts) - 1 else 2
        _check(run, snapshot, completed, verifier, same)
        after, _, seconds, _ = _crash_states(_restarted(backend, run, snapshot), same)
        for _, snapshot2 in seconds[:-1]:
            if (_signature(snapshot2), completed) not in seen:
                seen.add((_signature(snapshot2), completed))
                _check(run, snapshot2, completed, verifier, same)
        assert _check(run, seconds[-1][1], after, verifier, same) == after, where
        assert not _junk(run), (where, os.listdir(run))


@pytest.mark.parametrize("same", [True, False], ids=["one-prefix", "step-prefixes"])
def test_a_failed_save_leaves_the_files_as_they_were(backend, same, tmp_path):
    """An error at any write point (disk full) propagates, leaving the files as they
    were until the new checkpoint is complete (then it stays, as TF leaves it) and no
    backup; a kill during the roll-back is as safe as one during the save."""
    run = str(tmp_path / "run")
    verifier = Job(backend, run)
    _, points, _, _ = _crash_states(_saved(backend, run, same, [1, 2]), same)
    commit = max(i for i, p in enumerate(points)
                 if p.startswith("rename") and p.endswith(".index"))
    for i, point in enumerate(points):
        if point.startswith("stage"):
            continue
        job = _saved(backend, run, same, [1, 2])
        base = _snapshot(run)
        step, _, states, error = _crash_states(job, same, fail_at=i)
        for _, snapshot in _distinct(states)[:-1]:  # killed while rolling back
            _check(run, snapshot, 2, verifier, same)
        latest = _check(run, states[-1][1], 2, verifier, same)
        junk = _junk(run)
        if error is None:  # absorbed: a link copied instead, a backup not deleted
            assert latest == step and all(checkpoint._BACKUP_SUFFIX in f for f in junk)
            continue
        assert not junk, (point, junk)
        if i <= commit:
            assert latest == 2 and _without_state(states[-1][1]) == _without_state(base)
        else:  # complete once its index is renamed: kept, as TF keeps it
            new = os.path.join(run, "model" if same else f"model-{step}")
            assert latest in (2, step) and checkpoint._restorable(new), point


def _without_state(snapshot):
    return {k: v for k, v in snapshot.items() if not k.startswith("checkpoint")}


# --- random sequences: real kills, errors, restarts, restores ------------------------------
class CrashMachine(RuleBasedStateMachine):
    """A training job saved, killed, failed, restarted and restored in any order."""

    def __init__(self, backend):
        super().__init__()
        self.backend = backend
        self.directory = tempfile.mkdtemp(prefix="compat-crash-")
        self.completed = 0  # the step of the last save that returned
        self.completed_same = None  # ... of the last one to the re-saved prefix
        self.job = Job(backend, self.directory).start()

    def teardown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    @rule(same=st.booleans())
    def save(self, same):
        self.job.train(self.job.step + 1)
        with Disk(self.directory, self.job):
            self.job.save(same)
        self._returned(same)
        assert not self._junk(same)

    @rule(same=st.booleans(), kill_at=st.integers(0, MAX_POINTS) | st.sampled_from(NAMED))
    def killed_save(self, same, kill_at):
        self.job.train(self.job.step + 1)
        try:
            with Disk(self.directory, self.job, stop_at=kill_at):
                self.job.save(same)
        except Crash as e:
            event(f"killed at: {_kind(str(e))}")
            self.restart()  # the job is dead
        else:
            self._returned(same)

    @rule(same=st.booleans(), fail_at=st.integers(0, MAX_POINTS))
    def failing_save(self, same, fail_at):
        self.job.train(self.job.step + 1)
        try:
            with Disk(self.directory, self.job, fail_at=fail_at) as disk:
                self.job.save(same)
        except (OSError, tf.errors.OpError) as e:
            assert "injected" in str(e), e
            event(f"failed at: {_kind(disk.points[fail_at])}")
            assert not self._junk(same)
        else:  # nothing failed, or it was absorbed: a link copied, a backup kept
            self._returned(same)
            assert all(checkpoint._BACKUP_SUFFIX in f for f in self._junk(same))

    @rule()
    def restart(self):
        self.job = Job(self.backend, self.directory).start()
        assert self.job.step >= self.completed

    @rule(same=st.booleans())
    def restore(self, same):
        prefix = os.path.join(self.directory, "model")
        if same and any(os.path.exists(p + ".index")  # (max_to_keep may delete it)
                        for p in (prefix, prefix + checkpoint._BACKUP_SUFFIX)):
            assert self.job.restore(prefix) >= (self.completed_same or 0)
        elif self.completed:
            assert self.job.restore(tf.train.latest_checkpoint(self.directory)) >= \
                self.completed

    @invariant()
    def latest_checkpoint_restores_one_step(self):
        if self.completed or tf2.train.latest_checkpoint(self.directory):
            assert latest_step(self.directory) >= self.completed

    def _returned(self, same):
        self.completed = self.job.step
        self.completed_same = self.job.step if same else self.completed_same

    def _junk(self, same):
        return _junk(self.directory, "model" if same else f"model-{self.job.step}")


def test_any_sequence_of_saves_kills_errors_restarts_and_restores(backend):
    run_state_machine_as_test(lambda: CrashMachine(backend),
                              settings=settings(stateful_step_count=10))


# --- the instrument against the kernel's real system calls ---------------------------------
SAVES = [(True, 1), (True, 2), (False, 3), (False, 4), (False, 5)]  # (same prefix, step)
_SCENARIO = f"""
import os, sys
import compat
import compat.v1 as tf


def mark():  # a save starts: an rmdir that fails, for the trace
    try:
        os.rmdir(os.path.join(sys.argv[1], "compat-save"))
    except OSError:
        pass


for backend in compat.BACKENDS:
    directory = os.path.join(sys.argv[1], backend)
    os.makedirs(directory)
    with tf.Graph().as_default():
        v = tf.get_variable("v", [8], initializer=tf.zeros_initializer())
        saver = tf.train.Saver(max_to_keep=2)
        sess = tf.Session(backend=backend)
        sess.run(v.initializer)
        for same, step in {SAVES!r}:
            mark()
            saver.save(sess, os.path.join(directory, "model"), None if same else step)
"""
_SYSCALL = re.compile(r"^(openat|rename|renameat2?|link|linkat|unlink|unlinkat)"
                      r"\((.*)\) = \d+$")
_KINDS = {"renameat": "rename", "renameat2": "rename", "linkat": "link",
          "unlinkat": "unlink"}


def _traced_points(root):
    """Per save of the scenario, its file-creating, renaming, linking and deleting
    system calls under `root` (all threads, in time order), named as write points."""
    trace = root + ".strace"
    subprocess.run(
        ["strace", "-ff", "-ttt", "-qq", "-s", "4096", "-o", trace, "-e",
         "trace=openat,rename,renameat,renameat2,link,linkat,unlink,unlinkat,rmdir",
         sys.executable, "-c", _SCENARIO, root],
        env=dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3"), cwd=ROOT,
        check=True, capture_output=True, timeout=300)
    lines = []
    for name in glob.glob(glob.escape(trace) + ".*"):  # one file per thread
        with open(name) as f:
            lines += [line.rstrip("\n").split(" ", 1) for line in f]
    saves, inside = [], root + os.sep
    for _, line in sorted(lines, key=lambda time_line: float(time_line[0])):
        if line.startswith("rmdir(") and "compat-save" in line:
            saves.append([])
        match = _SYSCALL.match(line)
        if not saves or not match or inside not in line:
            continue
        kind, args = match.groups()
        paths = [os.path.basename(p) for p in re.findall(r'"([^"]*)"', args)]
        if kind != "openat":
            saves[-1].append(" ".join([_KINDS.get(kind, kind)] + paths))
        elif "O_CREAT" in args:
            saves[-1].append("write " + paths[0])
    return saves


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_the_write_points_are_the_real_syscalls(tmp_path):
    """The write points the instrument records (and replays for the SaveV2 kernel)
    are, in order, the file-creating, renaming, linking and deleting system calls of
    real saves on each backend: re-saves of one prefix, then step prefixes with
    max_to_keep deletions."""
    try:
        traced = _traced_points(str(tmp_path / "traced"))
    except subprocess.CalledProcessError as e:
        if "ptrace" in e.stderr.decode(errors="replace").lower():
            pytest.skip(f"strace cannot trace here: {e.stderr[-300:]!r}")
        raise
    recorded = []
    for backend in compat.BACKENDS:
        directory = str(tmp_path / backend)
        os.makedirs(directory)
        job = Job(backend, directory)
        for same, step in SAVES:
            job.train(step)
            with Disk(directory, job) as disk:
                job.save(same)
            recorded.append(_normal(disk.points))
    assert [_normal(points) for points in traced] == recorded
