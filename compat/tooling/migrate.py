"""``compat migrate``: rewrites TensorFlow imports to ``import compat.v1 as tf`` and drops
the process-wide ``disable_v2_behavior()``-style calls, editing only those spans of the
file (formatting and comments stay), idempotently, and lists what it could not rewrite.

A file that is already TF2 code (it uses TF2-only APIs such as ``tf.function``,
``tf.GradientTape`` or ``tf.summary.create_file_writer`` through its ``tensorflow``
import, and no TF1-only API such as ``tf.Session``, ``tf.placeholder`` or
``tf.get_variable``) is left alone, and the report says so: the shim is for TF1 code,
and ported modules keep running on TensorFlow itself."""

import ast
import dataclasses
import difflib
import os
import re
import tempfile

from compat.tooling.report import support
from compat.tooling.source import SHIM_IMPORT, _SWITCH_CALLS, _attr_chain, iter_python_files


__all__ = ["INTERNAL_MODULES", "Migration", "migrate"]

# TensorFlow internals whose answer differs for TF1 code, and the shim's module giving
# TF 1.15's answer: imports of them are rewritten (`from tensorflow.python import tf2`).
INTERNAL_MODULES = {"tensorflow.python.tf2": "compat.tf1.tf2",
                    "tensorflow.python.pywrap_tensorflow": "compat.tf1.pywrap_tensorflow"}


# A string that is exactly a TensorFlow module path ("tensorflow.keras.regularizers").
# (not "tensorflow" alone: package metadata lookups name the distribution so)
_TF_PATH = re.compile(r"tensorflow(\.[A-Za-z_][A-Za-z0-9_]*)+\Z")


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


# First attribute (or attribute path) under the `tensorflow` alias that only TF 2.x has,
# and that only TF 1.x code uses.
_TF2_ONLY = ("function", "GradientTape", "Module", "summary.create_file_writer",
             "saved_model.save", "saved_model.load", "random.Generator",
             "config.run_functions_eagerly", "experimental.numpy", "compat.v1",
             "distribute.MirroredStrategy", "distribute.experimental")
_TF1_ONLY = ("Session", "InteractiveSession", "placeholder", "placeholder_with_default",
             "sparse_placeholder", "get_variable", "variable_scope", "get_collection",
             "add_to_collection", "GraphKeys", "global_variables_initializer",
             "local_variables_initializer", "initialize_all_variables", "layers",
             "contrib", "get_default_graph", "reset_default_graph", "global_variables",
             "trainable_variables", "train.Saver", "train.AdamOptimizer",
             "train.GradientDescentOptimizer", "train.MomentumOptimizer",
             "train.AdagradOptimizer", "train.RMSPropOptimizer", "train.Optimizer",
             "train.MonitoredTrainingSession", "train.get_or_create_global_step",
             "summary.FileWriter", "summary.merge_all", "app", "flags", "logging", "gfile",
             "assign", "assign_add", "to_float", "to_int32", "random_normal",
             "random_uniform", "truncated_normal", "ConfigProto", "RunOptions",
             "py_func", "Print", "nn.rnn_cell", "estimator", "tables_initializer",
             "disable_v2_behavior", "disable_eager_execution")


# TensorFlow modules TF1 code imports whose TF1 versions compat.v1 serves: tf.contrib's,
# and tf.keras (TF 1.x's Keras; on TF 2.21 `tensorflow.keras` is Keras 3).
_SHIM_MODULES = ("tensorflow.contrib", "tensorflow.keras")


def _shim_module(name):
    return any(name == m or name.startswith(m + ".") for m in _SHIM_MODULES)


def _tf2_file(tree):
    """{alias: (line, TF2-only name)} for the ``tensorflow`` aliases of a file that is
    TF2 code: a TF2-only API is used through the alias and no TF1-only one."""
    aliases = {a.asname: node for node in ast.walk(tree) if isinstance(node, ast.Import)
               for a in node.names if a.name == "tensorflow" and a.asname}
    tf2, tf1 = {}, set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        chain = _attr_chain(node)
        if not chain or chain[0] not in aliases:
            continue
        path = ".".join(chain[1:])
        if any(path == n or path.startswith(n + ".") for n in _TF1_ONLY):
            tf1.add(chain[0])
        hit = next((n for n in _TF2_ONLY if path == n or path.startswith(n + ".")), None)
        if hit is not None:
            tf2.setdefault(chain[0], (node.lineno, hit))
    return {alias: found for alias, found in tf2.items() if alias not in tf1}


def _plan(source, path):
    tree = ast.parse(source, filename=path)
    edits, todo = [], []
    aliases = {}
    starts = _offsets(source)
    tf2_code = _tf2_file(tree)
    if tf2_code:
        line, name = min(tf2_code.values())
        alias = next(iter(tf2_code))
        todo.append((0, f"already TF2 code (uses {alias}.{name} at line {line} and no "
                        "TF1-only API): left as is"))
        return edits, todo
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = node.names
            tf_names = [a for a in names if a.name in ("tensorflow", "tensorflow.compat.v1")]
            if not tf_names:
                for a in names:
                    if (_shim_module(a.name) and a.asname and len(names) == 1):
                        # import tensorflow.contrib.slim as slim / tensorflow.keras as K
                        target = "compat.v1." + a.name[len("tensorflow."):]
                        edits.append((_span(starts, node), f"import {target} as {a.asname}",
                                      f"line {node.lineno}: import {a.name} as {a.asname} "
                                      f"-> import {target} as {a.asname}"))
                        graph, _, note = support(target[len("compat.v1."):])
                        if graph == "missing":  # the import fails at run time: say so now
                            todo.append((node.lineno, f"import {target}: {note}"))
                    elif a.name in INTERNAL_MODULES and len(names) == 1:
                        target = INTERNAL_MODULES[a.name]
                        alias = a.asname or a.name
                        text = (f"import {target} as {alias}" if a.asname else
                                f"import {target}")
                        if not a.asname:  # `tensorflow.python.tf2.enabled()`: keep by hand
                            todo.append((node.lineno, f"import {a.name}: TF1 code reads "
                                         f"TF 1.15's answers from {target}; import it "
                                         "with an alias, then re-run"))
                            continue
                        edits.append((_span(starts, node), text,
                                      f"line {node.lineno}: import {a.name} as {alias} -> "
                                      f"{text}"))
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
            elif ((_shim_module(mod) or mod == "tensorflow")
                    and not any(a.name == "*" for a in node.names)):
                # from tensorflow import keras / from tensorflow.keras.layers import Dense:
                # TF1 code's names (TF1 Keras, not Keras 3) from compat.v1
                # from tensorflow.contrib import slim / from tensorflow.contrib.slim.nets
                # import resnet_v1: the same names from the shim's tf.contrib
                target = "compat.v1" + mod[len("tensorflow"):]
                text = source[slice(*_span(starts, node))]
                new_text = text.replace(mod, target, 1)
                edits.append((_span(starts, node), new_text,
                              f"line {node.lineno}: from {mod} import ... -> "
                              f"from {target} import ..."))
                for a in node.names:  # the import fails at run time: say so now
                    path = target[len("compat.v1."):]
                    graph, _, note = support(f"{path}.{a.name}" if path else a.name)
                    if graph == "missing":
                        todo.append((node.lineno, f"from {target} import {a.name}: {note}"))
            elif mod in INTERNAL_MODULES or (
                    "." in mod and f"{mod}.{node.names[0].name}" in INTERNAL_MODULES
                    and len(node.names) == 1):
                # from tensorflow.python import tf2 / from tensorflow.python.tf2 import x
                if mod in INTERNAL_MODULES:
                    target = INTERNAL_MODULES[mod]
                    text = source[slice(*_span(starts, node))]
                    new_text = text.replace(mod, target, 1)
                else:
                    a = node.names[0]
                    target, _, name = INTERNAL_MODULES[f"{mod}.{a.name}"].rpartition(".")
                    alias = a.asname or a.name
                    new_text = f"from {target} import {name}" + (
                        f" as {alias}" if alias != name else "")
                edits.append((_span(starts, node), new_text,
                              f"line {node.lineno}: from {mod} import ... -> "
                              f"from {target} import ... (TF 1.15's answers)"))
            elif mod == "tensorflow" or mod.startswith("tensorflow."):
                names = ", ".join(a.name for a in node.names)
                if any(a.name == "*" for a in node.names):
                    reason = f"from {mod} import *: star import, rewrite by hand"
                elif mod.startswith(("tensorflow.python", "tensorflow.core")):
                    reason = (f"from {mod} import {names}: TensorFlow internals, left as "
                              "is (their ops build in TF1 graphs at module level too)")
                else:
                    reason = (f"from {mod} import {names}: left as is (TF2 names; import "
                              f"them from compat.v1 if they are TF1 code)")
                todo.append((node.lineno, reason))
    # "tensorflow.train", "tensorflow.nn.rnn_cell": TF1 namespaces named by their module
    # path in a string, which the library resolves at run time (pydoc.locate,
    # importlib.import_module: hparams naming a class or function by "type"); the same
    # path under the shim, as for an import of it
    # A bare "tensorflow" is a module path only in a list of them (texar's
    # ['tensorflow.keras.initializers', 'tensorflow']); alone it may name the
    # distribution (importlib.metadata.version("tensorflow")) and stays.
    in_path_lists = {id(e) for node in ast.walk(tree)
                     if isinstance(node, (ast.List, ast.Tuple, ast.Set))
                     and any(isinstance(e, ast.Constant) and isinstance(e.value, str)
                             and _TF_PATH.match(e.value) for e in node.elts)
                     for e in node.elts
                     if isinstance(e, ast.Constant) and e.value == "tensorflow"}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and (_TF_PATH.match(node.value) or id(node) in in_path_lists)):
            rest = node.value[len("tensorflow."):]
            if rest and support(rest)[0] in ("missing", "error"):
                continue  # not a TF1 name either (tensorflow.contrib.sparsemax): as is
            start, end = _span(starts, node)
            text = source[start:end]
            if node.lineno != node.end_lineno or text.count("tensorflow") != 1:
                continue  # implicit concatenation across pieces: left as is
            target = "compat.v1" + node.value[len("tensorflow"):]
            edits.append(((start, end), text.replace("tensorflow", "compat.v1", 1),
                          f"line {node.lineno}: {node.value!r} -> {target!r} (a TF "
                          "module path in a string)"))
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
