"""Shared fixtures: backends, fresh graphs, hypothesis profiles."""

import os

import hypothesis
import pytest
import tensorflow as tf

import compat

hypothesis.settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[hypothesis.HealthCheck.too_slow])
hypothesis.settings.register_profile(
    "thorough", max_examples=150, deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow])
hypothesis.settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "thorough"))


@pytest.fixture(params=compat.BACKENDS)
def backend(request):
    """Every behaviour test runs on each backend."""
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
