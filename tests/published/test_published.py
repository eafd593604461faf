"""Published TF1 libraries from PyPI (``corpus.py``), their imports migrated by ``compat
migrate`` and nothing else, run on both backends: each driver completes, its model
learns, the eager backend constructs no TensorFlow v1 Session, and the two backends'
recorded numbers agree within the library's tolerance (0: bit for bit)."""

import pytest

from tests.published import harness
from tests.published.corpus import LIBRARIES

pytestmark = [pytest.mark.published, pytest.mark.parity]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """{name: (site, work)}, installing and migrating each library once per module."""
    cache = {}

    def get(library):
        if library.name not in cache:
            site = harness.install(library)
            work = tmp_path_factory.mktemp(library.name)
            harness.prepare(library, site, work)
            cache[library.name] = site, work
        return cache[library.name]
    return get


@pytest.mark.parametrize(
    "library,driver",
    [pytest.param(lib, d, id=f"{lib.name}-{lib.version}-{d[:-3]}")
     for lib in LIBRARIES for d in lib.drivers])
def test_runs_learns_and_agrees(library, driver, prepared):
    site, work = prepared(library)
    graph, _ = harness.run(library, driver, site, work, "graph")
    eager, v1_sessions = harness.run(library, driver, site, work, "eager")
    library.learned(driver, graph)
    library.learned(driver, eager)
    assert v1_sessions == 0, (
        f"{library.name}: the eager backend constructed {v1_sessions} TensorFlow v1 "
        "Session(s)")
    difference = harness.max_difference(graph, eager)
    harness.record(library, driver, difference)
    assert difference <= library.tolerance, (
        f"{library.name} {driver}: graph and eager differ by {difference} "
        f"(allowed {library.tolerance})")
