"""Backend resolution: argument, use_backend, module table, environment, default."""

import pytest

import compat
from compat.runtime import config as _config


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("COMPAT_BACKEND", raising=False)
    monkeypatch.delenv("COMPAT_MODULES", raising=False)
    monkeypatch.setenv("COMPAT_CONFIG", str(tmp_path / "absent.cfg"))
    _config.reload_config()
    yield
    _config.reload_config()


def test_default_is_graph():
    assert compat.backend() == "graph"
    assert _config.resolve_backend(None, "anything") == ("graph", "default")


def test_environment_variable(monkeypatch):
    monkeypatch.setenv("COMPAT_BACKEND", "eager")
    assert compat.backend() == "eager"
    assert compat.Session().backend == "eager"


def test_module_table_longest_prefix_wins(monkeypatch):
    monkeypatch.setenv("COMPAT_BACKEND", "graph")
    monkeypatch.setenv("COMPAT_MODULES", "legacy=eager, legacy.predictor=graph")
    assert compat.backend("legacy.fm") == "eager"
    assert compat.backend("legacy.predictor.serve") == "graph"
    assert compat.backend("legacy_other") == "graph"
    assert compat.backend("legacy") == "eager"


def test_module_table_from_setup_cfg(monkeypatch, tmp_path):
    cfg = tmp_path / "setup.cfg"
    cfg.write_text("[compat]\nmodules =\n    legacy.fm = eager\n    legacy.bpr_fm=graph\n"
                   "backend = eager\n")
    monkeypatch.setenv("COMPAT_CONFIG", str(cfg))
    _config.reload_config()
    assert compat.backend("legacy.fm.model") == "eager"
    assert compat.backend("legacy.bpr_fm") == "graph"
    assert compat.backend("elsewhere") == "eager"  # [compat] backend
    monkeypatch.setenv("COMPAT_MODULES", "legacy.fm=graph")
    assert compat.backend("legacy.fm.model") == "graph"  # environment overrides file


def test_session_uses_module_of_its_creator(monkeypatch):
    monkeypatch.setenv("COMPAT_MODULES", f"{__name__}=eager")
    sess = compat.Session()
    assert sess.backend == "eager"
    assert sess.backend_source.startswith("module table")


def test_use_backend_nests_and_beats_table(monkeypatch):
    monkeypatch.setenv("COMPAT_MODULES", f"{__name__}=graph")
    with compat.use_backend("eager"):
        assert compat.backend() == "eager"
        with compat.use_backend("graph"):
            assert compat.Session().backend == "graph"
        assert compat.Session().backend == "eager"
        assert compat.Session(backend="graph").backend == "graph"
    assert compat.backend() == "graph"


@pytest.mark.parametrize("where", ["argument", "context", "env", "table"])
def test_unknown_names_fail_listing_valid_ones(monkeypatch, where):
    with pytest.raises(ValueError, match="valid backends are: 'eager', 'graph'"):
        if where == "argument":
            compat.Session(backend="tpu")
        elif where == "context":
            with compat.use_backend("xla"):
                pass
        elif where == "env":
            monkeypatch.setenv("COMPAT_BACKEND", "fast")
            compat.backend()
        else:
            monkeypatch.setenv("COMPAT_MODULES", "legacy.fm=tf3")
            compat.backend("legacy.fm")


def test_malformed_table_entry(monkeypatch):
    monkeypatch.setenv("COMPAT_MODULES", "legacy.fm")
    with pytest.raises(ValueError, match="expected 'module.prefix=backend'"):
        compat.backend("legacy.fm")


def test_cli_reports_backend(monkeypatch, capsys):
    from compat.cli import main
    monkeypatch.setenv("COMPAT_MODULES", "legacy.fm=eager")
    assert main(["backend", "legacy.fm"]) == 0
    assert capsys.readouterr().out.startswith("eager")
    monkeypatch.setenv("COMPAT_BACKEND", "bogus")
    assert main(["backend", "x"]) == 2


def test_process_override_beats_table_and_env_reaches_threads(monkeypatch):
    import threading

    monkeypatch.setenv("COMPAT_MODULES", "tests=graph")
    monkeypatch.setenv("COMPAT_BACKEND", "graph")
    _config.reload_config()
    seen = []
    with compat.override_backend("eager", "test"):
        assert _config.resolve_backend(None, "tests.x") == ("eager", "test")
        t = threading.Thread(target=lambda: seen.append(compat.backend("tests.x")))
        t.start()
        t.join()
        with compat.use_backend("graph"):  # a use_backend context still wins
            assert compat.backend() == "graph"
        assert compat.Session(backend="graph").backend == "graph"  # and the argument
    assert seen == ["eager"]
    assert compat.backend("tests.x") == "graph"
    with pytest.raises(ValueError, match="Unknown compat backend 'tpu'"):
        with compat.override_backend("tpu"):
            pass
