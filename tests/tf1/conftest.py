"""Fixtures of the TF1-surface tests."""

import pytest

import compat.v1 as tf


@pytest.fixture(params=["module", "graph"])
def style(request):
    """Where TF1 code builds: at module level (the process stays eager) or inside
    ``with graph.as_default()``; yields the graph sessions should run."""
    if request.param == "module":
        yield tf.get_default_graph()
        return
    g = tf.Graph()
    with g.as_default():
        yield g
