"""Shared fixtures: backends, fresh graphs, hypothesis profiles."""

import os

import hypothesis
import pytest
import tensorflow as tf

import compat

# Default (CI and every machine): bounded, deterministic, and no shrinking (a failure is
# reported as found: shrinking a multi-backend graph example can take many minutes), so
# the README's test command gives the same verdict everywhere. "thorough" explores at
# random, ten times as far (HYPOTHESIS_PROFILE=thorough, see the README); what it finds
# is fixed and pinned as an explicit @example.
hypothesis.settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True,
    phases=(hypothesis.Phase.explicit, hypothesis.Phase.generate),
    suppress_health_check=[hypothesis.HealthCheck.too_slow])
hypothesis.settings.register_profile(
    "thorough", max_examples=150, deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow])
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
