"""The package's house rules and its public surface.

The layout is documented in ``docs/architecture.md``: no import circles between compat's
modules, no module over 1,000 lines, at most ten modules directly in ``compat/``, and the
public import paths (``compat``, ``compat.v1``, ``compat.testing``, ``compat.checkpoint``,
``compat.saved_model``, the CLI and the pytest plugin) keep their names.
"""

import ast
import configparser
import importlib
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "compat"
MAX_LINES = 1000
MAX_TOP_LEVEL_MODULES = 10


def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules():
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name, modules):
    """The compat module `name` refers to: itself, or its closest enclosing module."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(modules=None):
    """{module: set of compat modules it imports}, every import statement counted (those
    inside functions too: a lazy import still ties the two modules together)."""
    modules = modules or _modules()
    graph = {}
    for name, path in modules.items():
        deps = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                # `from pkg import sub` imports the submodule when there is one
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            else:
                continue
            for target in targets:
                if target.split(".")[0] != "compat":
                    continue
                resolved = _resolve(target, modules)
                if resolved and resolved != name:
                    deps.add(resolved)
        graph[name] = deps
    return graph


def find_cycle(graph):
    """One import circle as a list of modules, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            # a package's own submodules import the package's __init__ by necessity;
            # only ties between unrelated modules count
            if node.startswith(dep + "."):
                continue
            if state.get(dep) == "open":
                return stack[stack.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_circles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_the_circle_finder_sees_circles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert find_cycle({"p.sub": {"p"}, "p": {"p.sub"}}) is None  # package and submodule


def test_lazy_imports_count_as_edges(tmp_path):
    pkg = tmp_path / "compat"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from compat import b\n")
    (pkg / "b.py").write_text("from compat.a import f\n")
    modules = {"compat": pkg / "__init__.py", "compat.a": pkg / "a.py", "compat.b": pkg / "b.py"}
    graph = import_graph(modules)
    assert "compat.b" in graph["compat.a"] and graph["compat.b"] == {"compat.a"}
    assert find_cycle(graph) is not None


@pytest.mark.parametrize("name", sorted(_modules()))
def test_no_module_over_a_thousand_lines(name):
    lines = len(_modules()[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines (at most {MAX_LINES})"


def test_at_most_ten_modules_directly_in_compat():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def test_every_package_folder_is_a_package():
    for folder in PACKAGE.rglob("*"):
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob("*.py")):
            assert (folder / "__init__.py").exists(), f"{folder} has no __init__.py"


# --- the public surface ----------------------------------------------------------------

PUBLIC = {
    "compat": ["BACKENDS", "DEFAULT_BACKEND", "InteractiveSession", "Session", "backend",
               "errors", "module_table", "override_backend", "reload_config",
               "resolve_backend", "use_backend"],
    "compat.testing": ["BackendDivergence", "DEFAULT_TOLERANCE", "EXACT", "ParityReport",
                       "Spec", "Tolerance", "assert_backends_agree", "compare_values"],
    "compat.checkpoint": ["Saver", "checkpoint_files", "name_to_object", "object_to_name",
                          "read_checkpoint", "session_checkpoint", "write_name_based"],
    "compat.saved_model": ["export_tf2"],
    "compat.cli": ["main"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_names_are_exactly_the_pinned_ones(module):
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(PUBLIC[module])
    for name in mod.__all__:
        assert getattr(mod, name) is not None, f"{module}.{name}"


def test_public_persistence_paths_serve_the_implementations():
    from compat import checkpoint, saved_model
    from compat.persistence import checkpoint as impl
    from compat.persistence import saved_model as impl_saved

    for name in checkpoint.__all__:
        assert getattr(checkpoint, name) is getattr(impl, name)
    assert saved_model.export_tf2 is impl_saved.export_tf2


def test_v1_namespace_serves_the_shim_session_and_tf1_names():
    import compat
    import compat.v1 as tf

    assert tf.Session is compat.Session and tf.InteractiveSession is compat.InteractiveSession
    for name in ("placeholder", "get_variable", "variable_scope", "train", "layers",
                 "contrib", "estimator", "nn", "data", "Graph"):
        assert hasattr(tf, name), name
    assert importlib.import_module("compat.v1.contrib.seq2seq") is tf.contrib.seq2seq


def test_entry_points_name_importable_objects():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    points = cfg["options.entry_points"]
    for line in (points["console_scripts"] + "\n" + points["pytest11"]).splitlines():
        if not line.strip():
            continue
        target = line.split("=", 1)[1].strip()
        module, _, attr = target.partition(":")
        obj = importlib.import_module(module)
        if attr:
            obj = getattr(obj, attr)
        assert obj is not None, target
    plugin = importlib.import_module("compat.pytest_plugin")
    for hook in ("pytest_addoption", "pytest_configure", "pytest_collection_modifyitems"):
        assert callable(getattr(plugin, hook))


def test_backends_are_sibling_packages_with_the_same_module_names():
    from compat.runtime.backends import get_backend

    backends = PACKAGE / "runtime" / "backends"
    for name in ("graph", "eager"):
        assert (backends / name / "runner.py").exists()
        backend = get_backend(name)
        assert backend.NAME == name and callable(backend.Runner)
