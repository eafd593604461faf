"""Checkpoints that move between runtimes without losing data.

* :class:`Saver` (``compat.v1.train.Saver``): TF's ``tf.compat.v1.train.Saver`` with
  TF1's guarantees restored on resource variables: a shape mismatch raises
  ``InvalidArgumentError`` before anything is assigned (TF 2's resource variables
  would silently take the checkpoint's shape); a corrupt or truncated checkpoint
  raises ``DataLossError`` naming the files, a missing data shard ``NotFoundError``
  naming it; saves are crash-consistent: after a kill at any point of any sequence
  of saves, ``latest_checkpoint`` (and ``restore`` of a re-saved prefix) finds a
  complete checkpoint at least as new as the last save that returned.
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
from google.protobuf.message import DecodeError
from tensorflow.core.protobuf import tensor_bundle_pb2
from tensorflow.python.framework import errors
from tensorflow.python.checkpoint import checkpoint_management
from tensorflow.python.platform import tf_logging as logging
from tensorflow.python.training.saving import saveable_object_util

__all__ = ["Saver", "checkpoint_files", "name_to_object", "object_to_name",
           "read_checkpoint", "session_checkpoint", "write_name_based"]

_BACKUP_SUFFIX = ".compat-prev"


def _fault_point(stage):
    """No-op; tests replace it to kill a writer at a given stage of a save."""


def checkpoint_files(prefix):
    """The files of the checkpoint at `prefix` (index, data shards, meta graph)."""
    files = [prefix + ".index"] + sorted(glob.glob(glob.escape(prefix) + ".data-?????-of-?????"))
    return [f for f in files if os.path.exists(f)]


def read_checkpoint(prefix):
    """``{name: numpy value}`` of a name-based checkpoint; ``DataLossError`` naming
    the files when it is corrupt or truncated, ``NotFoundError`` when it (or one of
    its data shards) is absent."""
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
        reader = tf.train.load_checkpoint(prefix)
    except (errors.OpError, IndexError) as e:  # the index exists but does not parse
        raise _corrupt(prefix, e) from None
    missing = _missing_shards(prefix)
    if missing:
        raise errors.NotFoundError(
            None, None, f"Checkpoint data file {missing[0]} is missing: checkpoint "
                        f"{prefix!r} is incomplete (files: "
                        f"{', '.join(checkpoint_files(prefix))})")
    return reader


def _missing_shards(prefix):
    """The data files the index at `prefix` refers to that do not exist."""
    if not os.path.exists(prefix + ".index"):
        return []  # a V1 checkpoint: one file
    shards = _num_shards(prefix + ".index")
    names = [f"{prefix}.data-{i:05d}-of-{shards:05d}" for i in range(shards)]
    return [name for name in names if not os.path.exists(name)]


def _num_shards(index):
    """The shard count in the bundle header: the first entry of the (uncompressed)
    index table, key '' (shared and unshared key lengths 0), then its value."""
    with open(index, "rb") as f:
        head = f.read(64)
    header = tensor_bundle_pb2.BundleHeaderProto()
    try:
        if head[:2] == b"\0\0":
            size, start = _varint(head, 2)
            header.ParseFromString(head[start:start + size])
    except (IndexError, DecodeError):
        pass
    return header.num_shards or 1  # another layout: TF's reader names what is missing


def _varint(data, pos):
    """(value, next position) of the protobuf varint at `pos`."""
    value, shift = 0, 0
    while data[pos] & 0x80:
        value |= (data[pos] & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
    return value | data[pos] << shift, pos + 1


def _restorable(prefix):
    """Whether `prefix` restores: its index parses and every tensor reads back (all
    data shards present, sizes and checksums right)."""
    try:
        reader = _reader(prefix)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except (errors.OpError, IndexError):
        return False
    return True


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
    crash-consistent saves. Same constructor and methods as TF's."""

    __compat_guarded_instances__ = True  # through compat.v1, methods run in graph mode

    # --- restore ------------------------------------------------------------------
    def restore(self, sess, save_path):
        """TF's restore; a prefix whose last save was killed half-way restores its
        previous complete version (with a warning)."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        save_path = _Versions(save_path).restorable()
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
        """TF's save, crash-consistent: the state file points at a complete
        checkpoint at every instant, and a failed save leaves the previous one."""
        prefix = save_path
        if global_step is not None:
            if not isinstance(global_step, (int, np.integer)):
                global_step = int(tf.compat.v1.train.global_step(sess, global_step))
            step = f"{int(global_step):08d}" if self._pad_step_number else int(global_step)
            prefix = f"{save_path}-{step}"
        versions = _Versions(prefix, meta_graph_suffix, latest_filename)
        pending = list(self._checkpoints_to_be_deleted)
        try:
            versions.keep_previous()
            _fault_point("before_save")
            result = super().save(sess, save_path, global_step, latest_filename,
                                  meta_graph_suffix, write_meta_graph, write_state,
                                  strip_default_attrs, save_debug_info)
        except Exception:
            # TF queues the oldest checkpoint for deletion before writing the state
            # file and deletes one per save: left queued, a later save would delete
            # a checkpoint it has just rewritten
            self._checkpoints_to_be_deleted[:] = pending
            versions.roll_back()
            raise
        _fault_point("saved")
        versions.finish()
        return result


class _Versions:
    """The checkpoint at `prefix` and the backup of its previous version, kept while
    `prefix` is rewritten.

    Invariants, at every instant of a save (so after a kill at any point): the state
    file points at a checkpoint that restores, and a checkpoint that restores is
    deleted only when another one does and the state file is not on it. Whether a
    checkpoint restores is checked by reading it back, never assumed.
    """

    def __init__(self, prefix, meta_graph_suffix="meta", latest_filename=None):
        self.prefix = prefix
        self.backup = prefix + _BACKUP_SUFFIX
        self.meta_graph_suffix = meta_graph_suffix
        self.directory = os.path.dirname(prefix)
        self.latest_filename = latest_filename
        self.new = False  # no file at `prefix` before the save

    def keep_previous(self):
        """Keeps the last restorable version of `prefix` at the backup, with the state
        file on it if it was on `prefix`; discards half-written files."""
        self.new = not self._files(self.prefix)
        self._remove_leftovers(self.prefix)
        if _restorable(self.prefix):
            self._redirect(self.backup, self.prefix)  # the old backup is replaced
            self._remove(self.backup)
            self._link(self.prefix, self.backup)
            _fault_point("linked")
        elif _restorable(self.backup):  # a killed save left `prefix` half-written
            self._redirect(self.prefix, self.backup)
            self._remove(self.prefix)
            _fault_point("discarded")
        else:
            return  # nothing restorable to keep; the save rewrites `prefix`
        self._redirect(self.prefix, self.backup)
        _fault_point("state_on_backup")

    def roll_back(self):
        """After a failed save: `prefix` as before (from the backup when the failure
        left it half-written, none if it was new), the state file back on it, no
        backup. A complete new checkpoint stays, as TF leaves it."""
        try:
            if not _restorable(self.prefix):
                backup = _restorable(self.backup)
                if backup or self.new:
                    self._remove(self.prefix)
                if backup:
                    self._link(self.backup, self.prefix)
            self._remove_leftovers(self.prefix)
            self.drop_backup()
        except Exception as e:  # the save's own error is the one to report
            logging.warning("Could not roll back the failed save of %s: %s", self.prefix, e)

    def finish(self):
        """Drops the backup after a save; a failure to is logged, as TF logs one to
        delete old checkpoints: the checkpoint is saved."""
        try:
            self.drop_backup()
        except Exception as e:
            logging.warning("Could not delete the backup %s: %s", self.backup, e)

    def drop_backup(self):
        """Deletes the backup once `prefix` is complete again."""
        self._redirect(self.backup, self.prefix)
        self._remove(self.backup)

    def restorable(self):
        """`prefix`, or its backup when a killed save left `prefix` half-written."""
        if not os.path.exists(self.backup + ".index") or _restorable(self.prefix):
            return self.prefix
        if not _restorable(self.backup):
            return self.prefix  # restoring it reports what is wrong
        logging.warning("Checkpoint %s is incomplete (a save was interrupted); restoring "
                        "its previous version %s", self.prefix, self.backup)
        return self.backup

    def _files(self, prefix):
        """`prefix`'s files, index last: a checkpoint exists once its index does."""
        files = checkpoint_files(prefix)
        index = files[:1] if files and files[0] == prefix + ".index" else []
        meta = f"{prefix}.{self.meta_graph_suffix}"
        return files[len(index):] + ([meta] if os.path.exists(meta) else []) + index

    def _link(self, source, target):
        for f in self._files(source):
            try:
                os.link(f, target + f[len(source):])
            except OSError:
                shutil.copy2(f, target + f[len(source):])

    def _remove(self, prefix):
        for f in self._files(prefix)[::-1]:
            os.remove(f)
        self._remove_leftovers(prefix)

    def _remove_leftovers(self, prefix):
        """Deletes the temporary files of writes killed half-way: TF's ``.tempstate``
        data and index, the meta graph's ``.tmp`` file."""
        pattern = glob.escape(prefix)
        for f in (glob.glob(pattern + ".data-?????-of-?????.tempstate*")
                  + glob.glob(pattern + ".index.tempstate*")
                  + glob.glob(f"{pattern}.{glob.escape(self.meta_graph_suffix)}.tmp*")):
            os.remove(f)

    def _redirect(self, old, new):
        """Points the state file at `new` if it points at `old`."""
        state = tf.train.get_checkpoint_state(self.directory, self.latest_filename)
        if state is None or not _same(state.model_checkpoint_path, old, self.directory):
            return
        others = [p for p in state.all_model_checkpoint_paths
                  if not _same(p, old, self.directory) and not _same(p, new, self.directory)]
        checkpoint_management.update_checkpoint_state_internal(
            save_dir=self.directory, model_checkpoint_path=new,
            all_model_checkpoint_paths=others + [new],
            latest_filename=self.latest_filename, save_relative_paths=True)


def _same(path, prefix, directory):
    path = path if os.path.isabs(path) else os.path.join(directory, path)
    return os.path.abspath(path) == os.path.abspath(prefix)


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
