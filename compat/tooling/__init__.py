"""Static tools for a migration: ``compat report`` and ``compat migrate``.

Both read source with :mod:`ast` and never import or run the user's code.

* :func:`report`: for each module under a path, the TF1 symbols it uses, whether
  each runs on the graph and eager backends (from the supported-API table, then
  from what ``compat.v1`` exposes), the backend configured for the module, and
  whether a ported implementation exists.
* :func:`migrate`: rewrites TensorFlow imports to ``import compat.v1 as tf`` and
  drops the process-wide ``disable_v2_behavior()``-style calls, editing only those
  spans of the file (formatting and comments stay), idempotently, and lists what
  it could not rewrite.
"""

import ast
import dataclasses
import difflib
import fnmatch
import os
import tempfile

__all__ = ["ModuleReport", "Migration", "iter_python_files", "migrate", "report",
           "format_report"]

SHIM_IMPORT = "import compat.v1 as {alias}"
_TF1_MODULES = ("tensorflow", "tensorflow.compat.v1", "compat.v1")
_SWITCH_CALLS = frozenset({
    "disable_v2_behavior", "disable_eager_execution", "enable_eager_execution",
    "enable_v2_behavior", "disable_resource_variables", "disable_control_flow_v2",
    "disable_tensor_equality", "disable_v2_tensorshape"})
_SKIP_DIRS = {".git", "__pycache__", ".tox", ".venv", "venv", "build", "dist", ".eggs"}


def iter_python_files(path):
    """Python files under `path` (a file or a directory), sorted."""
    if os.path.isfile(path):
        return [path]
    out = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.endswith(".egg-info"))
        out.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(".py"))
    return out


def module_name(path, root):
    """Dotted module name of `path` as Python would import it: relative to the first
    directory above `root` that is not a package."""
    base = os.path.abspath(root if os.path.isdir(root) else os.path.dirname(root))
    while os.path.exists(os.path.join(base, "__init__.py")):
        base = os.path.dirname(base)
    rel = os.path.relpath(os.path.abspath(path), base)
    parts = rel[:-3].split(os.sep)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or os.path.basename(path)[:-3]


# --- scanning ---------------------------------------------------------------------
@dataclasses.dataclass
class _Scan:
    aliases: dict          # local name -> imported module ('tensorflow', 'compat.v1', ...)
    symbols: dict          # 'train.AdamOptimizer' -> first line
    star: list             # lines of `from tensorflow... import *`
    problems: list         # (line, text) the migration cannot rewrite


def _attr_chain(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return list(reversed(parts))
    return None


def _scan(tree):
    aliases, symbols, star, problems = {}, {}, [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in _TF1_MODULES or a.name.startswith("tensorflow."):
                    aliases[a.asname or a.name.split(".")[0]] = (
                        a.name if a.asname else a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            mod = node.module
            if mod == "tensorflow.compat" and any(a.name == "v1" for a in node.names):
                for a in node.names:
                    if a.name == "v1":
                        aliases[a.asname or "v1"] = "tensorflow.compat.v1"
            elif mod == "compat" and any(a.name == "v1" for a in node.names):
                for a in node.names:
                    if a.name == "v1":
                        aliases[a.asname or "v1"] = "compat.v1"
            elif mod == "tensorflow" or mod.startswith(("tensorflow.", "compat.v1")):
                for a in node.names:
                    if a.name == "*":
                        star.append(node.lineno)
                    else:
                        sym = (mod.split(".", 1)[1] + "." if "." in mod and not mod.startswith(
                            ("tensorflow.compat.v1", "compat.v1")) else "") + a.name
                        if mod.startswith(("tensorflow.compat.v1.", "compat.v1.")):
                            sym = mod.split("v1.", 1)[1] + "." + a.name
                        symbols.setdefault(sym, node.lineno)
    tf_names = {n for n, m in aliases.items() if m in _TF1_MODULES}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain = _attr_chain(node)
            if chain and chain[0] in tf_names and len(chain) > 1:
                rest = chain[1:]
                if rest[:2] == ["compat", "v1"]:
                    rest = rest[2:]
                if rest and rest != ["compat"]:
                    symbols.setdefault(".".join(rest), node.lineno)
    # keep only the longest chain of each expression (tf.train.AdamOptimizer, not tf.train)
    longest = {}
    for sym, line in symbols.items():
        if not any(other.startswith(sym + ".") for other in symbols):
            longest[sym] = line
    return _Scan(aliases, longest, star, problems)


# --- support levels -----------------------------------------------------------------
def _table_index():
    from compat.tf1 import api_table
    index = {}
    for entry in api_table.ENTRIES:
        for sym in entry.symbol.split(" / "):
            index[sym.strip()] = entry
    return index


def support(symbol, _index=None, _cache={}):  # noqa: B006 - process cache
    """``(graph, eager, note)`` for a compat.v1 attribute path."""
    if symbol in _cache:
        return _cache[symbol]
    index = _index if _index is not None else _table_index()
    entry = index.get(symbol)
    if entry is None:
        # a method / attribute of a tabled symbol (tf.Session.run, ...) shares its row
        parts = symbol.split(".")
        for n in range(len(parts) - 1, 0, -1):
            entry = index.get(".".join(parts[:n]))
            if entry is not None:
                break
    if entry is not None:
        result = (entry.graph, entry.eager, entry.notes)
    else:
        result = _resolve(symbol)
    _cache[symbol] = result
    return result


def _resolve(symbol):
    import compat.v1 as shim
    from compat.tf1.errors import RemovedAPIError
    obj = shim
    try:
        for part in symbol.split("."):
            obj = getattr(obj, part)
    except RemovedAPIError as e:
        return "missing", "missing", str(e).split(". Covered")[0]
    except AttributeError:
        return "missing", "missing", "not in tf.compat.v1 of TensorFlow 2.21"
    except Exception as e:  # e.g. a lazily imported dependency is not installed
        return "error", "error", f"{type(e).__name__}: {e}"
    module = getattr(getattr(obj, "__wrapped__", obj), "__module__", None) or ""
    if module.startswith("tf_slim"):
        return ("native", "rewritten", "not in the table: TF 1.15's code from the tf-slim "
                "package, through the guard, expected to work")
    return "native", "native", "not in the table: TF's implementation, expected to work"


# --- report ---------------------------------------------------------------------------
@dataclasses.dataclass
class ModuleReport:
    path: str
    module: str
    backend: str = ""
    backend_source: str = ""
    ported: str = ""
    error: str = ""
    star_imports: list = dataclasses.field(default_factory=list)
    symbols: list = dataclasses.field(default_factory=list)  # dicts

    @property
    def uses_tf1(self):
        return bool(self.symbols or self.star_imports)


def _ported_table():
    from compat.runtime import config as _config
    settings = _config._project_config()[1]  # noqa: SLF001
    text = settings.get("ported", "") if isinstance(settings, dict) else ""
    table = {}
    for raw in text.replace("\n", ",").split(","):
        if "=" in raw:
            k, v = raw.split("=", 1)
            table[k.strip()] = v.strip()
    return table


def _ported_for(module, path, table):
    for prefix, target in table.items():
        if module == prefix or fnmatch.fnmatchcase(module, prefix):
            return target
    base = os.path.dirname(path)
    name = os.path.basename(path)
    if name == "__init__.py":  # a package's __init__ is not ported by a ported/ package
        return ""
    for candidate in (os.path.join(base, "ported", name),
                      os.path.join(os.path.dirname(base), "ported", name),
                      os.path.join(base, name[:-3] + "_tf2.py")):
        if os.path.exists(candidate) and not os.path.samefile(candidate, path):
            return os.path.relpath(candidate)
    return ""


def report(path):
    """Returns one :class:`ModuleReport` per Python file under `path`."""
    from compat.runtime import config as _config
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file or directory: {path!r}")
    index = _table_index()
    ported = _ported_table()
    out = []
    for file in iter_python_files(path):
        mod = module_name(file, path)
        rep = ModuleReport(path=file, module=mod)
        rep.backend, rep.backend_source = _config.resolve_backend(None, mod)
        rep.ported = _ported_for(mod, file, ported)
        try:
            with open(file, encoding="utf-8") as f:
                tree = ast.parse(f.read(), filename=file)
        except SyntaxError as e:
            rep.error = f"syntax error at line {e.lineno}: {e.msg}"
            out.append(rep)
            continue
        except (UnicodeDecodeError, OSError) as e:
            rep.error = f"cannot read: {e}"
            out.append(rep)
            continue
        scan = _scan(tree)
        rep.star_imports = scan.star
        for sym, line in sorted(scan.symbols.items()):
            graph, eager, note = support(sym, index)
            rep.symbols.append({"symbol": sym, "line": line, "graph": graph, "eager": eager,
                                "note": note})
        out.append(rep)
    return out


def format_report(reports, fmt="text"):
    """Renders reports as ``text`` (default), ``markdown`` or ``json``."""
    if fmt == "json":
        import json
        return json.dumps([dataclasses.asdict(r) for r in reports], indent=2)
    rows = []
    for r in reports:
        if r.error:
            rows.append((r.module, "-", "-", r.backend, r.ported or "no", r.error))
            continue
        if not r.uses_tf1:
            continue
        for s in r.symbols:
            rows.append((r.module, s["symbol"], f"{s['graph']}/{s['eager']}", r.backend,
                         r.ported or "no", s["note"]))
        for line in r.star_imports:
            rows.append((r.module, "*", "unknown", r.backend, r.ported or "no",
                         f"star import at line {line}: symbols cannot be listed statically"))
    head = ("module", "TF1 symbol", "graph/eager", "backend", "ported", "notes")
    n_mod = sum(1 for r in reports if r.uses_tf1 or r.error)
    blocked = sorted({r[0] for r in rows if "missing" in r[2] or r[2] == "unknown"
                      or r[1] == "-"})
    summary = (f"{n_mod} module(s) use TF1 or could not be read; "
               f"{len(blocked)} need attention: {', '.join(blocked) or 'none'}")
    if fmt == "markdown":
        lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
        lines += ["| " + " | ".join(f"`{c}`" if i == 1 and c not in "-*" else c
                                    for i, c in enumerate(row)) + " |" for row in rows]
        return "\n".join(lines + ["", summary])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)] if rows else \
        [len(h) for h in head]
    widths[-1] = 0
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(head, widths)).rstrip()]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines + ["", summary])


# --- migrate --------------------------------------------------------------------------
@dataclasses.dataclass
class Migration:
    path: str
    changed: bool = False
    new_source: str = ""
    old_source: str = ""
    edits: list = dataclasses.field(default_factory=list)       # human-readable
    not_rewritten: list = dataclasses.field(default_factory=list)  # (line, reason)

    def diff(self):
        return "".join(difflib.unified_diff(
            self.old_source.splitlines(True), self.new_source.splitlines(True),
            fromfile=self.path, tofile=self.path))


def _offsets(source):
    starts, pos = [0], 0
    for line in source.splitlines(True):
        pos += len(line)
        starts.append(pos)
    return starts


def _span(starts, node):
    return (starts[node.lineno - 1] + node.col_offset,
            starts[node.end_lineno - 1] + node.end_col_offset)


def _plan(source, path):
    tree = ast.parse(source, filename=path)
    edits, todo = [], []
    aliases = {}
    starts = _offsets(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = node.names
            tf_names = [a for a in names if a.name in ("tensorflow", "tensorflow.compat.v1")]
            if not tf_names:
                for a in names:
                    if (a.name.startswith("tensorflow.contrib.") and a.asname
                            and len(names) == 1):
                        # import tensorflow.contrib.slim as slim
                        target = "compat.v1." + a.name[len("tensorflow."):]
                        edits.append((_span(starts, node), f"import {target} as {a.asname}",
                                      f"line {node.lineno}: import {a.name} as {a.asname} "
                                      f"-> import {target} as {a.asname}"))
                        graph, _, note = support(target[len("compat.v1."):])
                        if graph == "missing":  # the import fails at run time: say so now
                            todo.append((node.lineno, f"import {target}: {note}"))
                    elif a.name.startswith("tensorflow."):
                        todo.append((node.lineno, f"import {a.name}: not a TF1 namespace; "
                                                  "left as is"))
                continue
            if len(names) > 1:
                todo.append((node.lineno, "TensorFlow imported together with other modules "
                                          "on one line: split the import, then re-run"))
                continue
            a = tf_names[0]
            if a.name == "tensorflow" and not a.asname:
                todo.append((node.lineno, "`import tensorflow` without an alias: code uses "
                                          "`tensorflow.` names; change it to "
                                          "`import compat.v1 as tensorflow` by hand if all "
                                          "uses are TF1"))
                continue
            alias = a.asname or "tensorflow"
            aliases[alias] = a.name
            edits.append((_span(starts, node), SHIM_IMPORT.format(alias=alias),
                          f"line {node.lineno}: import {a.name} as {alias} -> "
                          f"import compat.v1 as {alias}"))
        elif isinstance(node, ast.ImportFrom) and node.module:
            mod = node.module
            if mod == "tensorflow.compat" and [a.name for a in node.names] == ["v1"]:
                alias = node.names[0].asname or "v1"
                aliases[alias] = "tensorflow.compat.v1"
                edits.append((_span(starts, node), SHIM_IMPORT.format(alias=alias),
                              f"line {node.lineno}: from tensorflow.compat import v1 -> "
                              f"import compat.v1 as {alias}"))
            elif ((mod == "tensorflow.contrib" or mod.startswith("tensorflow.contrib."))
                    and not any(a.name == "*" for a in node.names)):
                # from tensorflow.contrib import slim / from tensorflow.contrib.slim.nets
                # import resnet_v1: the same names from the shim's tf.contrib
                target = "compat.v1." + mod[len("tensorflow."):]
                text = source[slice(*_span(starts, node))]
                new_text = text.replace(mod, target, 1)
                edits.append((_span(starts, node), new_text,
                              f"line {node.lineno}: from {mod} import ... -> "
                              f"from {target} import ..."))
                for a in node.names:  # the import fails at run time: say so now
                    graph, _, note = support(f"{target[len('compat.v1.'):]}.{a.name}")
                    if graph == "missing":
                        todo.append((node.lineno, f"from {target} import {a.name}: {note}"))
            elif mod == "tensorflow" or mod.startswith("tensorflow."):
                names = ", ".join(a.name for a in node.names)
                if any(a.name == "*" for a in node.names):
                    reason = f"from {mod} import *: star import, rewrite by hand"
                else:
                    reason = (f"from {mod} import {names}: left as is (TF2 names; import "
                              f"them from compat.v1 if they are TF1 code)")
                todo.append((node.lineno, reason))
    # process-wide switches: tf.disable_v2_behavior(), tf.compat.v1.disable_eager_execution()
    shim_names = set(aliases) | {"compat", "v1"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            chain = _attr_chain(node.value.func)
            if chain and chain[-1] in _SWITCH_CALLS and chain[0] in shim_names | {
                    "tensorflow", "tf"}:
                line_start = starts[node.lineno - 1]
                line_end = starts[node.end_lineno]
                line_text = source[line_start:line_end]
                start, end = _span(starts, node)
                before, after = source[line_start:start], source[end:line_end]
                trailing_comment = after.strip().startswith("#")
                if before.strip() or (after.strip() not in ("", ";") and not trailing_comment):
                    todo.append((node.lineno, f"{'.'.join(chain)}() shares its line with "
                                              "other code: remove it by hand (a no-op in "
                                              "the shim)"))
                    continue
                if _only_statement_in_block(tree, node):
                    edits.append(((start, end), "pass",
                                  f"line {node.lineno}: {'.'.join(chain)}() -> pass"))
                elif trailing_comment:  # keep the comment on its own line
                    edits.append(((start, end + len(after) - len(after.lstrip())), "",
                                  f"line {node.lineno}: removed {'.'.join(chain)}() "
                                  "(comment kept)"))
                else:
                    edits.append(((line_start, line_end), "",
                                  f"line {node.lineno}: removed {line_text.strip()} (the "
                                  "shim keeps TF1 behaviour without process-wide switches)"))
    return edits, todo


def _only_statement_in_block(tree, target):
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and target in block:
                return len(block) == 1 and not isinstance(node, ast.Module)
    return False


def migrate(path, write=True):
    """Rewrites the files under `path`; returns one :class:`Migration` per file
    (``write=False``: compute the changes only, for ``--diff``)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file or directory: {path!r}")
    results = []
    for file in iter_python_files(path):
        m = Migration(path=file)
        try:
            with open(file, encoding="utf-8", newline="") as f:
                source = f.read()
            edits, todo = _plan(source, file)
        except SyntaxError as e:
            m.not_rewritten.append((e.lineno or 0, f"syntax error: {e.msg}; file left as is"))
            results.append(m)
            continue
        except (UnicodeDecodeError, OSError) as e:
            m.not_rewritten.append((0, f"cannot read: {e}"))
            results.append(m)
            continue
        new = source
        for (start, end), text, _ in sorted(edits, key=lambda e: e[0][0], reverse=True):
            new = new[:start] + text + new[end:]
        m.old_source, m.new_source = source, new
        m.edits = [e[2] for e in sorted(edits, key=lambda e: e[0][0])]
        m.not_rewritten = sorted(todo)
        m.changed = new != source
        if m.changed and write:
            _atomic_write(file, new)
        results.append(m)
    return results


def _atomic_write(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".compat-migrate-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
