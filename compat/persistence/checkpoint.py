"""Checkpoints that move between runtimes without losing data.

* :class:`Saver` (``compat.v1.train.Saver``): TF's ``tf.compat.v1.train.Saver`` with
  TF1's guarantees restored on resource variables: a shape mismatch raises
  ``InvalidArgumentError`` before anything is assigned (TF 2's resource variables
  would silently take the checkpoint's shape); a corrupt or truncated checkpoint
  raises ``DataLossError`` naming the files; re-saving to an existing prefix keeps
  the previous checkpoint complete and ``latest_checkpoint`` pointing at a complete
  checkpoint at every instant (a kill mid-save loses only the save in flight).
* :func:`session_checkpoint`: a ``tf.train.Checkpoint`` (object-based, TF2) over a
  session's variables, with an explicit name map.
* :func:`name_to_object` / :func:`object_to_name`: convert between name-based (Saver)
  and object-based (``tf.train.Checkpoint``) checkpoints with an explicit name map,
  so a ported TF2 module restores legacy checkpoints and vice versa.
"""

import glob
import os
import shutil

import numpy as np
import tensorflow as tf
from tensorflow.python.framework import errors
from tensorflow.python.checkpoint import checkpoint_management
from tensorflow.python.training.saving import saveable_object_util

__all__ = ["Saver", "checkpoint_files", "name_to_object", "object_to_name",
           "read_checkpoint", "session_checkpoint", "write_name_based"]

_BACKUP_SUFFIX = ".compat-prev"


def _fault_point(stage):
    """No-op; tests replace it to kill a writer at a given stage of a save."""


def checkpoint_files(prefix):
    """The files of the checkpoint at `prefix` (index, data shards, meta graph)."""
    files = [prefix + ".index"] + sorted(glob.glob(glob.escape(prefix) + ".data-*"))
    return [f for f in files if os.path.exists(f)]


def read_checkpoint(prefix):
    """``{name: numpy value}`` of a name-based checkpoint; ``DataLossError`` naming
    the files when it is corrupt or truncated, ``NotFoundError`` when it is absent."""
    reader = _reader(prefix)
    try:
        return {name: reader.get_tensor(name)
                for name in reader.get_variable_to_shape_map()}
    except (errors.OpError, IndexError) as e:
        raise _corrupt(prefix, e) from None


def _reader(prefix):
    if not checkpoint_management.checkpoint_exists_internal(prefix):
        raise errors.NotFoundError(
            None, None, f"No checkpoint at {prefix!r} (expected {prefix}.index and data "
                        "files)")
    try:
        return tf.train.load_checkpoint(prefix)
    except (errors.OpError, IndexError) as e:  # the index exists but does not parse
        raise _corrupt(prefix, e) from None


def _corrupt(prefix, error):
    files = ", ".join(checkpoint_files(prefix)) or prefix
    lines = [line.strip() for line in
             (getattr(error, "message", None) or str(error)).splitlines()]
    useful = [line for line in lines if line and not line.startswith(
        ("[[", "Detected at", "File ", "Node:", "Graph execution error"))]
    return errors.DataLossError(
        None, None,
        f"Checkpoint {prefix!r} is corrupt or truncated (files: {files}): "
        f"{useful[-1] if useful else type(error).__name__}")


class Saver(tf.compat.v1.train.Saver):
    """``tf.train.Saver`` with TF1's shape checks, clear corruption errors and
    crash-safe re-saves. Same constructor and methods as TF's."""

    __compat_guarded_instances__ = True  # through compat.v1, methods run in graph mode

    # --- restore ------------------------------------------------------------------
    def restore(self, sess, save_path):
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        if checkpoint_management.checkpoint_exists_internal(save_path):
            self._check_shapes(save_path)
        try:
            return super().restore(sess, save_path)
        except (errors.DataLossError, errors.OutOfRangeError) as e:
            raise _corrupt(save_path, e) from None

    def _saveables(self):
        var_list = self._var_list
        if var_list is None:
            var_list = tf.compat.v1.global_variables() + tf.compat.v1.get_collection(
                tf.compat.v1.GraphKeys.SAVEABLE_OBJECTS)
        if isinstance(var_list, dict):
            return dict(var_list)  # already {checkpoint key: variable}
        return saveable_object_util.op_list_to_dict(var_list)

    def _check_shapes(self, save_path):
        shapes = _reader(save_path).get_variable_to_shape_map()
        saveables = self._saveables()
        missing = sorted(name for name, var in saveables.items()
                         if name not in shapes and not isinstance(var, (list, tuple)))
        if missing:
            raise errors.NotFoundError(
                None, None,
                f"Restoring from checkpoint {save_path!r} failed: Key {missing[0]} not found "
                f"in checkpoint (missing keys: {missing}; the checkpoint has "
                f"{sorted(shapes)}). Nothing was restored.")
        for name, var in saveables.items():
            if isinstance(var, (list, tuple)) or name not in shapes:
                continue  # partitioned variables / missing keys: TF's own checks
            shape = getattr(var, "shape", None)
            if shape is None or not shape.is_fully_defined():
                continue
            if list(shape.as_list()) != list(shapes[name]):
                raise errors.InvalidArgumentError(
                    None, None,
                    f"Restoring from checkpoint {save_path!r} failed: variable {name!r}: "
                    "Assign "
                    f"requires shapes of both tensors to match. lhs shape= "
                    f"{list(shape.as_list())} rhs shape= {list(shapes[name])}. Nothing was "
                    "restored.")

    # --- save -----------------------------------------------------------------------
    def save(self, sess, save_path, global_step=None, latest_filename=None,
             meta_graph_suffix="meta", write_meta_graph=True, write_state=True,
             strip_default_attrs=False, save_debug_info=False):
        prefix = save_path
        if global_step is not None:
            if not isinstance(global_step, (int, np.integer)):
                global_step = int(tf.compat.v1.train.global_step(sess, global_step))
            prefix = f"{save_path}-{int(global_step)}"
        backup = None
        if checkpoint_files(prefix) and write_state:
            backup = self._keep_previous(prefix, meta_graph_suffix, latest_filename)
        _fault_point("before_save")
        result = super().save(sess, save_path, global_step, latest_filename,
                              meta_graph_suffix, write_meta_graph, write_state,
                              strip_default_attrs, save_debug_info)
        _fault_point("saved")
        if backup is not None:
            for f in _files_with_meta(backup, meta_graph_suffix):
                os.remove(f)
        return result

    def _keep_previous(self, prefix, meta_graph_suffix, latest_filename):
        """Hard-links the existing checkpoint at `prefix` to a backup prefix and points
        the state file at the backup: a crash while `prefix` is rewritten leaves
        ``latest_checkpoint`` on a complete checkpoint."""
        backup = prefix + _BACKUP_SUFFIX
        for f in _files_with_meta(backup, meta_graph_suffix):
            os.remove(f)
        for f in _files_with_meta(prefix, meta_graph_suffix):
            target = backup + f[len(prefix):]
            try:
                os.link(f, target)
            except OSError:
                shutil.copy2(f, target)
        _fault_point("linked")
        directory = os.path.dirname(prefix)
        state = tf.train.get_checkpoint_state(directory, latest_filename)
        if state is not None and os.path.abspath(
                _absolute(state.model_checkpoint_path, directory)) == os.path.abspath(prefix):
            others = [p for p in state.all_model_checkpoint_paths
                      if os.path.abspath(_absolute(p, directory)) != os.path.abspath(prefix)]
            checkpoint_management.update_checkpoint_state_internal(
                save_dir=directory, model_checkpoint_path=backup,
                all_model_checkpoint_paths=others + [backup],
                latest_filename=latest_filename, save_relative_paths=True)
        _fault_point("state_on_backup")
        return backup


def _absolute(path, directory):
    return path if os.path.isabs(path) else os.path.join(directory, path)


def _files_with_meta(prefix, meta_graph_suffix):
    files = checkpoint_files(prefix)
    meta = f"{prefix}.{meta_graph_suffix}"
    return files + ([meta] if os.path.exists(meta) else [])


# --- object-based checkpoints ---------------------------------------------------------
def _session_values(sess, names):
    graph = sess.graph
    by_name = {v.op.name: v for v in graph.get_collection(
        tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise KeyError(f"No variables named {missing} in the session's graph; it has "
                       f"{sorted(by_name)}")
    return sess.run({n: by_name[n] for n in names})


def session_checkpoint(sess, name_map=None):
    """A ``tf.train.Checkpoint`` of the session's variables.

    Args:
      sess: a :class:`compat.Session` (either backend).
      name_map: ``{object path: TF1 variable name}``, e.g. ``{"fm/embeddings":
        "embeddings"}``; object paths use ``/`` for nesting. Default: every global
        variable, under its TF1 name with ``/`` replaced by ``.``.

    On the eager backend the checkpoint tracks the session's own variables (writes
    and restores act on the session directly); on the graph backend it tracks eager
    copies of their current values (use :func:`name_to_object` to convert files).
    """
    if name_map is None:
        names = [v.op.name for v in sess.graph.get_collection(
            tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)]
        name_map = {n.replace("/", "."): n for n in names}
    if sess.backend == "eager":
        variables = {path: sess.runner.variables[name] for path, name in name_map.items()}
    else:
        values = _session_values(sess, list(name_map.values()))
        variables = {path: tf.Variable(values[name], name=name.replace("/", "_"))
                     for path, name in name_map.items()}
    return _tree(variables)


def _tree(variables):
    """tf.train.Checkpoint with nested tf.Module nodes for 'a/b/c' paths."""
    root = {}
    for path, var in variables.items():
        parts = path.split("/")
        node = root
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ValueError(f"object path {path!r} nests under a variable")
        if parts[-1] in node:
            raise ValueError(f"duplicate object path {path!r}")
        node[parts[-1]] = var

    def build(node):
        module = tf.Module()
        for key, value in node.items():
            setattr(module, key, build(value) if isinstance(value, dict) else value)
        return module

    return tf.train.Checkpoint(**{k: build(v) if isinstance(v, dict) else v
                                  for k, v in root.items()})


def name_to_object(ckpt_prefix, name_map, out_prefix):
    """Converts a name-based (Saver) checkpoint into an object-based one.

    `name_map` is ``{object path: TF1 name}``; every name must exist in the
    checkpoint (``NotFoundError`` lists the missing ones before anything is
    written). Returns the written checkpoint path.
    """
    values = read_checkpoint(ckpt_prefix)
    missing = sorted(n for n in name_map.values() if n not in values)
    if missing:
        raise errors.NotFoundError(
            None, None, f"Checkpoint {ckpt_prefix!r} has no variables named {missing}; "
                        f"it has {sorted(values)}")
    with tf.init_scope():
        variables = {path: tf.Variable(values[name]) for path, name in name_map.items()}
        return _tree(variables).write(out_prefix)


def object_to_name(ckpt_prefix, name_map, out_prefix):
    """Converts an object-based checkpoint into a name-based one a TF1 ``Saver``
    restores: ``name_map`` is ``{object path: TF1 name}``. Returns the written prefix.
    """
    reader = _reader(ckpt_prefix)
    keys = reader.get_variable_to_shape_map()
    values = {}
    for path, name in name_map.items():
        # object-graph keys escape '.' in each path component as '..'
        key = "/".join(c.replace(".", "..") for c in path.split("/"))
        key += "/.ATTRIBUTES/VARIABLE_VALUE"
        if key not in keys:
            raise errors.NotFoundError(
                None, None, f"Checkpoint {ckpt_prefix!r} has no object {path!r} (key "
                            f"{key!r}); object keys: "
                            f"{sorted(k for k in keys if k.endswith('VARIABLE_VALUE'))}")
        values[name] = reader.get_tensor(key)
    return write_name_based(values, out_prefix)


def write_name_based(values, out_prefix):
    """Writes ``{TF1 name: value}`` as a name-based checkpoint a TF1 ``Saver``
    restores (the SaveV2 kernel a Saver runs, without a session). Returns the prefix."""
    names = sorted(values)
    directory = os.path.dirname(out_prefix)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with tf.init_scope():
        tf.raw_ops.SaveV2(prefix=out_prefix, tensor_names=names,
                          shape_and_slices=[""] * len(names),
                          tensors=[tf.constant(values[n]) for n in names])
    return out_prefix
