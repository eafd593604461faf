"""Reading a user's source tree without running it: files, module names, TF1 symbols used."""

import ast
import dataclasses
import os


__all__ = ["iter_python_files", "module_name"]


SHIM_IMPORT = "import compat.v1 as {alias}"


_TF1_MODULES = ("tensorflow", "tensorflow.compat.v1", "compat.v1")


_SWITCH_CALLS = frozenset({
    "disable_v2_behavior", "disable_eager_execution", "enable_eager_execution",
    "enable_v2_behavior", "disable_control_flow_v2",
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
