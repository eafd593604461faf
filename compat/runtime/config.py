"""Backend resolution: the one place that decides which runtime a Session uses.

Resolution order, first match wins:

1. the explicit ``backend=`` argument;
2. the innermost :func:`use_backend` context (per thread);
3. a process-wide override (:func:`override_backend`; set by the pytest plugin's
   ``--compat-backend``), which also reaches threads the test starts;
4. the per-module table: the longest dotted prefix of the module that creates
   the Session, from ``COMPAT_MODULES`` (``legacy.fm=eager,legacy.predictor=graph``)
   layered over the ``modules`` key of the ``[compat]`` section of the project's
   ``setup.cfg``;
5. the ``COMPAT_BACKEND`` environment variable, then ``backend`` in ``[compat]``;
6. ``graph``.
"""

import configparser
import contextlib
import os
import sys
import threading

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "backend",
    "resolve_backend",
    "use_backend",
    "override_backend",
    "module_table",
    "validate_backend",
    "reload_config",
]

BACKENDS = ("eager", "graph")
DEFAULT_BACKEND = "graph"

_local = threading.local()
_override = None  # (name, source) or None: process-wide, see override_backend()
_config_cache = {}


def validate_backend(name, source="argument"):
    """Returns `name` normalised, or raises ValueError listing the valid names."""
    if isinstance(name, str):
        normal = name.strip().lower()
        if normal in BACKENDS:
            return normal
    valid = ", ".join(repr(b) for b in BACKENDS)
    raise ValueError(
        f"Unknown compat backend {name!r} (from {source}); valid backends are: {valid}."
    )


def _parse_table(text, source):
    table = {}
    for raw in text.replace("\n", ",").split(","):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        if "=" not in entry:
            raise ValueError(
                f"Bad entry {entry!r} in {source}: expected 'module.prefix=backend'."
            )
        module, name = (part.strip() for part in entry.split("=", 1))
        if not module:
            raise ValueError(f"Bad entry {entry!r} in {source}: empty module name.")
        table[module] = validate_backend(name, f"{source} entry {module!r}")
    return table


def _find_setup_cfg(start):
    path = os.path.abspath(start)
    while True:
        candidate = os.path.join(path, "setup.cfg")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def _project_config():
    """Reads ``[compat]`` from COMPAT_CONFIG or the nearest setup.cfg above the cwd."""
    path = os.environ.get("COMPAT_CONFIG") or _find_setup_cfg(os.getcwd())
    if not path:
        return {}, {}
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return {}, {}
    cached = _config_cache.get(path)
    if cached and cached[0] == stamp:
        return cached[1], cached[2]
    parser = configparser.ConfigParser()
    parser.read(path)
    table, settings = {}, {}
    if parser.has_section("compat"):
        section = parser["compat"]
        if "modules" in section:
            table = _parse_table(section["modules"], f"[compat] modules in {path}")
        if "backend" in section:
            settings["backend"] = validate_backend(
                section["backend"], f"[compat] backend in {path}")
        if "ported" in section:  # module -> its native TF2 port (compat report)
            settings["ported"] = section["ported"]
    _config_cache[path] = (stamp, table, settings)
    return table, settings


def reload_config():
    """Forgets the cached ``[compat]`` configuration (it is re-read on next use)."""
    _config_cache.clear()


def module_table():
    """The per-module backend table: setup.cfg entries overridden by COMPAT_MODULES."""
    table = dict(_project_config()[0])
    env = os.environ.get("COMPAT_MODULES")
    if env:
        table.update(_parse_table(env, "COMPAT_MODULES"))
    return table


def _lookup_module(module, table):
    best, best_len = None, -1
    for prefix, name in table.items():
        if module == prefix or module.startswith(prefix + "."):
            if len(prefix) > best_len:
                best, best_len = name, len(prefix)
    return best


def _is_internal(module):
    return module == "compat" or module.startswith(
        ("compat.", "tensorflow", "tf_keras", "contextlib", "wrapt", "threading",
         "functools"))


def caller_module(depth=2):
    """Name of the first module on the stack outside compat and TensorFlow."""
    frame = sys._getframe(depth)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not _is_internal(name):
            return name
        frame = frame.f_back
    return "__main__"


def _context_stack():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


@contextlib.contextmanager
def use_backend(name):
    """Context manager: Sessions created inside use backend `name` (innermost wins)."""
    name = validate_backend(name, "compat.use_backend()")
    stack = _context_stack()
    stack.append(name)
    try:
        yield name
    finally:
        stack.pop()


@contextlib.contextmanager
def override_backend(name, source="override_backend"):
    """Process-wide: every Session created inside (any thread) uses `name`,
    unless an explicit ``backend=`` argument or a :func:`use_backend` context
    says otherwise. Beats the module table and the environment."""
    global _override
    name = validate_backend(name, source)
    previous = _override
    _override = (name, source)
    try:
        yield name
    finally:
        _override = previous


def resolve_backend(explicit=None, module=None):
    """Returns ``(name, source)`` for a Session created by `module`."""
    if explicit is not None:
        return validate_backend(explicit, "the backend= argument"), "argument"
    stack = _context_stack()
    if stack:
        return stack[-1], "use_backend"
    if _override is not None:
        return _override
    if module is None:
        module = caller_module(3)
    table = module_table()
    if table:
        found = _lookup_module(module, table)
        if found is not None:
            return found, f"module table ({module})"
    env = os.environ.get("COMPAT_BACKEND")
    if env is not None and env.strip():
        return validate_backend(env, "COMPAT_BACKEND"), "COMPAT_BACKEND"
    settings = _project_config()[1]
    if "backend" in settings:
        return settings["backend"], "[compat] backend"
    return DEFAULT_BACKEND, "default"


def backend(module=None):
    """The backend a Session created now (by `module`, default: the caller) would use."""
    if module is None:
        module = caller_module(2)
    return resolve_backend(None, module)[0]
