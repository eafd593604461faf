"""``compat report``: for each module under a path, the TF1 symbols it uses, whether each
runs on the graph and eager backends (from the supported-API table, then from what
``compat.v1`` exposes), the backend configured for the module, and whether a ported
implementation exists. Reads source with :mod:`ast`; never imports the user's code."""

import ast
import dataclasses
import fnmatch
import os

from compat.tooling.source import _scan, iter_python_files, module_name


__all__ = ["ModuleReport", "format_report", "report", "support"]


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
