"""compat.tooling.console: TensorFlow's own console output silenced for the CLIs (the main
job and `compat`), restored by --verbose."""

import logging
import os
import pathlib
import subprocess
import sys
import textwrap
import warnings

import re

import pytest

from compat.tooling.console import quiet_tensorflow
from tests.conftest import TF_CHATTER

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_quiet_tensorflow_changes_nothing_when_verbose_and_undoes_itself(monkeypatch):
    from tensorflow.python.util import deprecation

    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    tf_logger = logging.getLogger("tensorflow")
    before = (tf_logger.level, list(warnings.filters), list(sys.meta_path),
              deprecation._PRINT_DEPRECATION_WARNINGS)
    quiet_tensorflow(verbose=True)()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"
    assert (tf_logger.level, list(warnings.filters), list(sys.meta_path),
            deprecation._PRINT_DEPRECATION_WARNINGS) == before

    undo = quiet_tensorflow(verbose=False)
    try:
        assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
        assert tf_logger.getEffectiveLevel() == logging.ERROR
        assert logging.getLogger("absl").getEffectiveLevel() == logging.ERROR
        assert deprecation._PRINT_DEPRECATION_WARNINGS is False  # TF is imported here
        with warnings.catch_warnings(record=True) as seen:
            warnings.warn("hidden", UserWarning)
        assert not seen or sys.warnoptions
    finally:
        undo()
        undo()  # idempotent
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"
    assert (tf_logger.level, list(warnings.filters), list(sys.meta_path),
            deprecation._PRINT_DEPRECATION_WARNINGS) == before


FAKE_TF = """
import os
os.write(2, b"I0000 native start-up chatter\\n")
if os.environ.get("FAKE_TF_FAIL"):
    raise ImportError("libtensorflow_framework.so.2: cannot open shared object file")
"""


@pytest.mark.parametrize("fail", [False, True])
def test_tensorflows_import_is_captured_and_shown_only_if_it_fails(tmp_path, fail):
    """The import hook on a stand-in `tensorflow` package (no real TF: fast)."""
    (tmp_path / "tensorflow").mkdir()
    (tmp_path / "tensorflow" / "__init__.py").write_text(FAKE_TF)
    script = textwrap.dedent("""
        import importlib.util, sys
        from compat.tooling.console import quiet_tensorflow
        quiet_tensorflow()
        assert importlib.util.find_spec("tensorflow")  # a probe: the import still comes
        print("before", file=sys.stderr, flush=True)
        import tensorflow
        assert type(tensorflow.__loader__).__name__ == "SourceFileLoader"
        assert not any("Quiet" in type(f).__name__ for f in sys.meta_path)
        print("after", file=sys.stderr, flush=True)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    if fail:
        env["FAKE_TF_FAIL"] = "1"
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=60)
    if fail:
        assert proc.returncode == 1
        assert proc.stderr.startswith("before\nI0000 native start-up chatter\n")
        assert "ImportError: libtensorflow_framework.so.2" in proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == "before\nafter\n"


CHATTER = re.compile(TF_CHATTER, re.IGNORECASE | re.MULTILINE)


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return subprocess.run([sys.executable, "-m", "compat", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_compat_cli_is_quiet_by_default_and_verbose_on_request(tmp_path):
    (tmp_path / "model.py").write_text("import tensorflow as tf\nx = tf.placeholder(tf.float32)\n")
    quiet = _cli("report", str(tmp_path))
    assert quiet.returncode == 0, quiet.stderr
    assert "placeholder" in quiet.stdout
    assert not CHATTER.search(quiet.stdout + quiet.stderr), quiet.stderr
    loud = _cli("--verbose", "report", str(tmp_path))
    assert loud.returncode == 0 and "placeholder" in loud.stdout
    assert CHATTER.search(loud.stderr), "--verbose should leave TensorFlow's logging on"
