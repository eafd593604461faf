"""A planted divergence: the eager backend computes one op differently in one element.

Used to show that the parity checks catch a real difference and point at it.
"""

import contextlib

import tensorflow as tf

from compat.runtime.backends.eager import runner as eager_backend


def _plant(graph_def, select, delta):
    """Returns a copy of `graph_def` where the first node chosen by `select`
    has `delta` added to the first element of its output 0."""
    target = next((n for n in graph_def.node if select(n)), None)
    if target is None:
        return graph_def
    out = type(graph_def).FromString(graph_def.SerializeToString())
    node = next(n for n in out.node if n.name == target.name)
    name = node.name
    node.name = name + "__planted_orig"
    g = tf.Graph()
    with g.as_default():
        orig = tf.compat.v1.placeholder(tf.float32, name=name + "__planted_orig")
        with tf.name_scope(name + "__planted"):
            flat = tf.reshape(orig, [-1])
            mask = tf.cast(tf.equal(tf.range(tf.size(flat)), 0), tf.float32)
            tf.reshape(flat + delta * mask, tf.shape(orig))
        tf.identity(g.get_tensor_by_name(f"{name}__planted/Reshape_1:0"), name=name)
    for n in g.as_graph_def().node:
        if n.op != "Placeholder":
            out.node.add().CopyFrom(n)
    return out


@contextlib.contextmanager
def planted_divergence(monkeypatch, select, delta=0.25):
    """Within the block, eager-backend functions carry the planted difference."""
    real = eager_backend.importer

    class Importer:
        @staticmethod
        def import_graph_def(graph_def, *args, **kwargs):
            if kwargs.get("name") == "s":  # signature bodies, not resource creation
                graph_def = _plant(graph_def, select, delta)
            return real.import_graph_def(graph_def, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(eager_backend, "importer", Importer)
        yield
