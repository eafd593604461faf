"""Shared fixtures: backends, fresh graphs; the hypothesis profiles (tests/profiles.py)."""

import pytest
import tensorflow as tf

import compat
from tests import profiles  # registers and loads the hypothesis profiles

assert profiles.ACTIVE in ("ci", "thorough"), profiles.ACTIVE


# What TensorFlow prints on its own (start-up lines, C++ log lines, absl, deprecation
# notices, Python warnings): the quiet CLIs show none of it unless --verbose.
TF_CHATTER = (r"oneDNN|cpu_feature_guard|cuda|absl|Instructions for updating|WARNING|deprecat"
              r"|^[IWEF]\d{4} ")


class V1SessionForbidden(AssertionError):
    """Raised when TF's v1 Session is constructed during an eager-backend test."""


@pytest.fixture(params=compat.BACKENDS)
def backend(request, monkeypatch):
    """Every behaviour test runs on each backend.

    On ``eager`` TF's v1 Session class is made unusable for the whole test, so
    each eager-parametrised test also proves that no v1 Session is involved.
    """
    if request.param == "eager":
        from tensorflow.python.client import session as tf_session

        def forbidden(self, *args, **kwargs):
            self._session = None  # lets BaseSession.__del__ run quietly
            raise V1SessionForbidden("tf.compat.v1.Session used on the eager backend")

        monkeypatch.setattr(tf_session.BaseSession, "__init__", forbidden)
    return request.param


@pytest.fixture
def graph():
    """A fresh graph, entered for the test's body."""
    g = tf.Graph()
    with g.as_default():
        yield g


@pytest.fixture(autouse=True)
def _fresh_default_graph():
    """Each test starts from an empty TF1 default graph (module-level building)."""
    if tf.executing_eagerly():
        tf.compat.v1.reset_default_graph()
    yield
    if tf.executing_eagerly():
        tf.compat.v1.reset_default_graph()
