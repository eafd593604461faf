"""pytest plugin: run a TF1 project's existing tests on the graph and/or eager backend.

Registered through the ``pytest11`` entry point when ``compat-tf1`` is
installed, so nothing has to be added to a project's ``conftest.py``::

    pytest --compat-backend=eager     # every Session the tests create runs on eager
    pytest --compat-backend=both      # every test runs twice: [graph] and [eager]

Without the option the plugin changes nothing (it does not import TensorFlow).

Fixtures:
  ``compat_backend``: the backend the current test runs on.
  ``backends_agree``: :func:`compat.testing.assert_backends_agree`.
  ``no_v1_session``: makes TF's own ``tf.compat.v1.Session`` unusable for the
  test (proves code under test goes through the shim).

Marker:
  ``@pytest.mark.compat_difference(backend, reason, raises=None)``: a known,
  documented difference. On `backend` the test is expected to fail (strict
  xfail: if it passes, the difference is gone and the run says so); the
  differences met are listed at the end of the run.
"""

import pytest

_BACKENDS = ("graph", "eager")
_CHOICES = _BACKENDS + ("both",)
_differences = []


def pytest_addoption(parser):
    group = parser.getgroup("compat", "compat: TF1 code on the graph / eager backends")
    group.addoption(
        "--compat-backend", choices=_CHOICES, default=None, dest="compat_backend",
        help="run Sessions created by the tests on this backend; 'both' runs every test "
             "once per backend (ids [graph] and [eager]). Default: the project's own "
             "resolution (COMPAT_BACKEND, [compat] in setup.cfg, ...).")
    parser.addini("compat_backend", "default for --compat-backend", default=None)


def _option(config):
    value = config.getoption("compat_backend", None) or config.getini("compat_backend")
    if value and value not in _CHOICES:
        raise pytest.UsageError(
            f"compat_backend = {value!r} in the pytest ini; valid: {', '.join(_CHOICES)}")
    return value or None


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "compat_difference(backend, reason, raises=None): known, documented backend "
        "difference; the test is expected to fail on `backend`.")
    _differences.clear()


def pytest_report_header(config):
    option = _option(config)
    if option:
        return f"compat: backend {option} (--compat-backend)"
    return None


def pytest_generate_tests(metafunc):
    if _option(metafunc.config) != "both" or "compat_backend" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        if "compat_backend" in names:
            return  # the test chose its backends itself
    metafunc.parametrize("compat_backend", list(_BACKENDS), indirect=True)


def _item_backend(item):
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "compat_backend" in callspec.params:
        return callspec.params["compat_backend"]
    option = _option(item.config)
    if option in _BACKENDS:
        return option
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        backend = _item_backend(item)
        for mark in item.iter_markers("compat_difference"):
            target = mark.kwargs.get("backend", mark.args[0] if mark.args else None)
            reason = mark.kwargs.get("reason", mark.args[1] if len(mark.args) > 1 else "")
            if target not in _BACKENDS:
                raise pytest.UsageError(
                    f"{item.nodeid}: compat_difference needs backend='graph' or 'eager', "
                    f"got {target!r}")
            if not reason:
                raise pytest.UsageError(
                    f"{item.nodeid}: compat_difference needs a reason (document the "
                    "difference)")
            if backend == target:
                item.add_marker(pytest.mark.xfail(
                    reason=f"known {target} difference: {reason}",
                    raises=mark.kwargs.get("raises"), strict=True))
                _differences.append((item.nodeid, target, reason))


@pytest.fixture(autouse=True)
def compat_backend(request):
    """The backend this test's Sessions run on (None: the project's own resolution)."""
    name = getattr(request, "param", None) or _option(request.config)
    if name not in _BACKENDS:
        yield None
        return
    from compat.runtime import config as _config
    with _config.override_backend(name, "pytest --compat-backend"):
        yield name


@pytest.fixture
def backends_agree():
    """:func:`compat.testing.assert_backends_agree`."""
    from compat.testing import assert_backends_agree
    return assert_backends_agree


@pytest.fixture
def no_v1_session(monkeypatch):
    """Makes ``tf.compat.v1.Session`` unusable for the test."""
    from tensorflow.python.client import session as tf_session

    def forbidden(self, *args, **kwargs):
        self._session = None  # lets BaseSession.__del__ run quietly
        raise AssertionError("tf.compat.v1.Session constructed; the test forbids it "
                             "(no_v1_session fixture)")

    monkeypatch.setattr(tf_session.BaseSession, "__init__", forbidden)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _differences:
        return
    terminalreporter.section("compat: known backend differences")
    for nodeid, target, reason in _differences:
        terminalreporter.write_line(f"{nodeid} [{target}]: {reason}")
