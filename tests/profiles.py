"""Hypothesis profiles of the test suite.

``ci``, the default on every machine: bounded, derandomized, no shrinking (a failure is
reported as found: shrinking a multi-backend graph example can take many minutes), so
the README's test command gives the same verdict everywhere. ``thorough``
(``HYPOTHESIS_PROFILE=thorough``): random, with shrinking, six times as many examples,
run over the whole suite on both backends before a change lands; what it finds is fixed
and pinned as an explicit ``@example`` of the test that found it.
"""

import os

import hypothesis

ACTIVE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
_SCALE = {"ci": 1, "thorough": 6}

hypothesis.settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True,
    phases=(hypothesis.Phase.explicit, hypothesis.Phase.generate),
    suppress_health_check=[hypothesis.HealthCheck.too_slow])
hypothesis.settings.register_profile(
    "thorough", max_examples=150, deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow])
hypothesis.settings.load_profile(ACTIVE)


def examples(n):
    """A test's own example budget `n` (expensive multi-backend tests set a small one),
    scaled up by the thorough profile."""
    return n * _SCALE.get(ACTIVE, 1)
