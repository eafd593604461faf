"""The pytest plugin on a user's TF1 project: one flag runs its tests on both backends."""

import pytest

pytest_plugins = ["pytester"]

TF1_MODULE = '''
import compat.v1 as tf

def build():
    x = tf.placeholder(tf.float32, [None], name="x")
    w = tf.Variable(2.0, name="w")
    return x, w, tf.reduce_sum(x * w)
'''

TF1_TESTS = '''
import threading

import numpy as np
import pytest

import compat.v1 as tf
import model


def test_forward():
    x, w, y = model.build()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(y, {x: np.ones(3, np.float32)}) == 6.0
        print("BACKEND", sess.backend)


def test_session_in_a_thread(compat_backend):
    seen = []
    t = threading.Thread(target=lambda: seen.append(tf.Session().backend))
    t.start(); t.join()
    assert seen == [compat_backend or "graph"]


@pytest.mark.compat_difference("eager", reason="documented: options are ignored on eager")
def test_run_metadata_has_step_stats():
    c = tf.constant(1.0) + 1.0
    meta = tf.RunMetadata()
    with tf.Session() as sess:
        sess.run(c, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                 run_metadata=meta)
    assert meta.step_stats.dev_stats


def test_parity_fixture(backends_agree):
    backends_agree(lambda: {"y": model.build()[2]}, {"x:0": np.arange(3, dtype=np.float32)})
'''


@pytest.fixture
def project(pytester):
    pytester.makepyfile(model=TF1_MODULE, test_model=TF1_TESTS)
    pytester.syspathinsert()
    return pytester


def test_both_runs_every_test_on_each_backend(project):
    result = project.runpytest_inprocess("--compat-backend=both", "-v", "-s")
    result.assert_outcomes(passed=7, xfailed=1)
    result.stdout.fnmatch_lines([
        "*compat: backend both*",
        "*test_forward[[]graph[]] *",
        "*test_forward[[]eager[]] *",
        "*compat: known backend differences*",
        "*test_run_metadata_has_step_stats[[]eager[]] [[]eager[]]: documented: options*",
    ])
    out = result.stdout.str()
    assert "BACKEND graph" in out and "BACKEND eager" in out


@pytest.mark.parametrize("backend", ["graph", "eager"])
def test_single_backend_flag(project, backend):
    result = project.runpytest_inprocess(f"--compat-backend={backend}", "-s",
                                         "-k", "forward or thread")
    result.assert_outcomes(passed=2)
    assert f"BACKEND {backend}" in result.stdout.str()


def test_a_difference_that_disappears_fails_the_run(pytester):
    pytester.makepyfile(test_gone='''
import pytest

@pytest.mark.compat_difference("eager", reason="was different once")
def test_same_now():
    pass
''')
    result = pytester.runpytest_inprocess("--compat-backend=both")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*known eager difference: was different once*"])


def test_marker_without_reason_is_a_usage_error(pytester):
    pytester.makepyfile(test_bad='''
import pytest

@pytest.mark.compat_difference("eager")
def test_x():
    pass
''')
    result = pytester.runpytest_inprocess("--compat-backend=both")
    assert result.ret != 0
    assert "compat_difference needs a reason" in result.stderr.str() + result.stdout.str()


def test_without_the_flag_nothing_changes(project):
    result = project.runpytest_inprocess("-s", "-k", "forward")
    result.assert_outcomes(passed=1)
    assert "compat: backend" not in result.stdout.str()


def test_bad_flag_value(project):
    result = project.runpytest_inprocess("--compat-backend=tpu")
    assert result.ret != 0
    assert "invalid choice: 'tpu'" in result.stderr.str()


def test_no_v1_session_fixture(pytester):
    pytester.makepyfile(test_v1='''
import pytest
import tensorflow as tf
import compat.v1 as shim

def test_raw(no_v1_session):
    with pytest.raises(AssertionError, match="no_v1_session"):
        tf.compat.v1.Session()

def test_shim_eager(no_v1_session):
    with shim.Session(backend="eager") as sess:
        assert sess.run(shim.constant(3)) == 3
''')
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=2)


def test_loading_the_plugin_does_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys, compat, compat.pytest_plugin; "
            "print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
