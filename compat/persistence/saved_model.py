"""Native TF2 SavedModels from a TF1 session, on either backend.

:func:`export_tf2` writes a ``tf.saved_model.save`` export: a ``tf.Module`` that
owns eager copies of the session's variables (and of its lookup tables) and one
``tf.function`` per signature, whose body is the signature's TF1 subgraph (the
eager backend's compiler: only the ops the outputs need, fed inputs as function
arguments). It loads with ``tf.saved_model.load`` in a process that never
imports the shim, serves with TF Serving, and is what a ported TF2 module can
build on. The TF1 ``SavedModelBuilder`` keeps working unchanged on both backends.
"""

import os
import shutil
import tempfile

import tensorflow as tf
from tensorflow.python.framework import errors

from compat.runtime.backends import eager as _eager

__all__ = ["export_tf2"]

_TABLE_OPS = frozenset({"HashTableV2", "HashTable"})
_TABLE_INIT_OPS = frozenset({"InitializeTableV2", "InitializeTable", "LookupTableImportV2"})


class _ExportRunner(_eager.Runner):
    """Eager runner whose state is trackable copies of a session's state."""

    def __init__(self, sess):
        super().__init__(sess.graph)
        self._sess = sess
        self.tables = []

    def _variable_for(self, op):
        var = self._variables.get(op.name)
        if var is None:
            graph = self.graph
            with graph.as_default():
                read = tf.raw_ops.ReadVariableOp(resource=op.outputs[0],
                                                 dtype=op.get_attr("dtype"))
            value = self._sess.run(read)
            with tf.init_scope():
                var = tf.Variable(value, name=op.name, trainable=False)
            self._variables[op.name] = var
        return var

    def _create_resource(self, op):
        if op.type not in _TABLE_OPS:
            raise errors.UnimplementedError(
                None, op,
                f"export_tf2 cannot export the session resource {op.name!r} ({op.type}): "
                "only variables and key/value lookup tables are supported; leave it out "
                "of the signature or use the TF1 SavedModelBuilder.")
        init = [c for c in op.outputs[0].consumers() if c.type in _TABLE_INIT_OPS]
        if len(init) != 1:
            raise errors.UnimplementedError(
                None, op, f"export_tf2: table {op.name!r} has no key/value initializer "
                          "(file-initialized tables are not supported)")
        keys, values = self._sess.run([init[0].inputs[1], init[0].inputs[2]])
        with tf.init_scope():
            default = tf.zeros([], tf.as_dtype(values.dtype)) if values.dtype != object \
                else tf.constant("")
            table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(keys, values), default)
        self.tables.append(table)
        return table.resource_handle, table


def _tensor(graph, item, what):
    try:
        return graph.as_graph_element(item, allow_tensor=True, allow_operation=False)
    except (KeyError, ValueError, TypeError) as e:
        raise ValueError(f"{what} {item!r} is not a tensor of the session's graph: {e}") \
            from None


def _serving(body, out_keys, out_shapes):
    def serve(*args):
        results = body(*args)
        outputs = {}
        for i, k in enumerate(out_keys):
            out = tf.identity(results[i], name=k)
            # the TF1 graph's inferred shape (shape inference through captured
            # resources, e.g. a table lookup, knows less inside the function)
            out.set_shape(out.shape.merge_with(out_shapes[i]))
            outputs[k] = out
        return outputs
    return serve


def export_tf2(sess, export_dir, signatures):
    """Writes a native TF2 SavedModel of `sess`'s graph and current state.

    Args:
      sess: a :class:`compat.Session` (graph or eager backend).
      export_dir: new directory (must not exist or be empty; written atomically:
        on failure nothing is left there).
      signatures: ``{name: (inputs, outputs)}`` with ``inputs`` / ``outputs``
        mappings of signature key -> tensor (or tensor name), as in TF1's
        ``predict_signature_def``.

    Returns:
      `export_dir`.
    """
    if not signatures:
        raise ValueError("export_tf2 needs at least one signature")
    if os.path.exists(export_dir) and os.listdir(export_dir):
        raise FileExistsError(f"Export directory {export_dir!r} already exists and is not "
                              "empty (as for SavedModelBuilder); choose a new directory.")
    graph = sess.graph
    runner = _ExportRunner(sess)
    functions = {}
    for name, (inputs, outputs) in signatures.items():
        if not outputs:
            raise ValueError(f"signature {name!r} has no outputs")
        in_keys, out_keys = sorted(inputs), list(outputs)
        fed = [_tensor(graph, inputs[k], f"signature {name!r} input {k!r}") for k in in_keys]
        fetched = [_tensor(graph, outputs[k], f"signature {name!r} output {k!r}")
                   for k in out_keys]
        compiled = runner._compile(fed, fetched, [])  # noqa: SLF001 - same package
        body = compiled.function
        specs = [tf.TensorSpec(t.shape, t.dtype, name=k) for k, t in zip(in_keys, fed)]

        functions[name] = tf.function(
            _serving(body, tuple(out_keys), [t.shape for t in fetched]),
            input_signature=specs, autograph=False)

    module = tf.Module()
    module.tf1_variables = list(runner._variables.values())  # noqa: SLF001
    module.tf1_tables = list(runner.tables)
    for i, fn in enumerate(functions.values()):
        setattr(module, f"signature_{i}", fn)
    parent = os.path.dirname(os.path.abspath(export_dir))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".compat-export-", dir=parent)
    try:
        tf.saved_model.save(module, tmp, signatures={
            name: fn.get_concrete_function() for name, fn in functions.items()})
        if os.path.exists(export_dir):
            os.rmdir(export_dir)  # empty (checked above)
        os.rename(tmp, export_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return export_dir
