"""The corpus harness's own logic: how two backends' recorded results are compared,
and that the corpus table is well formed (pinned, drivers present)."""

import pytest

from tests.published import harness
from tests.published.corpus import LIBRARIES


def test_max_difference_walks_nested_results():
    a = {"loss": [1.0, 0.5], "params": {"w": [[1.0, 2.0]]}, "ok": True, "nan": float("nan")}
    b = {"loss": [1.0, 0.25], "params": {"w": [[1.0, 2.5]]}, "ok": True, "nan": float("nan")}
    assert harness.max_difference(a, a) == 0.0
    assert harness.max_difference(a, b) == 0.5


@pytest.mark.parametrize("b, message", [
    ({"loss": [1.0]}, "different results"),
    ({"loss": [1.0, 2.0], "extra": 1}, "different results"),
    ({"loss": [1.0, "x"]}, "graph 2.0, eager 'x'"),
])
def test_max_difference_rejects_different_structures(b, message):
    with pytest.raises(harness.HarnessError, match=message):
        harness.max_difference({"loss": [1.0, 2.0]}, b)


def test_nan_against_a_number_is_a_difference():
    assert harness.max_difference({"x": float("nan")}, {"x": 1.0}) == float("inf")


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda lib: lib.name)
def test_corpus_entries_are_pinned_and_complete(library):
    assert library.requirements[0] == f"{library.name}=={library.version}"
    assert all("==" in r for r in library.requirements), library.requirements
    for driver in library.drivers:
        assert (harness.DRIVERS / driver).is_file(), driver
    assert library.tolerance >= 0 and library.what
