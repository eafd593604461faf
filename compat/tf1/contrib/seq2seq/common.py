"""Structure and shape helpers shared by the decoders."""


import tensorflow as _tf

from compat.tf1.guard import GuardedObject


_v1 = _tf.compat.v1


# --- decoding ----------------------------------------------------------------------------
def _plain(structure):
    """`structure` without the shim's proxies at any depth (a state tuple the caller
    got back from a TF1 API call is proxied; TF's nest sees a proxy as one leaf)."""
    if isinstance(structure, GuardedObject):
        structure = structure.__wrapped__
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*[_plain(x) for x in structure])
    if isinstance(structure, (list, tuple)):
        return type(structure)(_plain(x) for x in structure)
    if isinstance(structure, dict):
        return type(structure)((k, _plain(v)) for k, v in structure.items())
    return structure


def _transpose_batch_time(x):
    """[batch, time, ...] <-> [time, batch, ...], static shape kept (rank < 2 unchanged)."""
    static = x.shape
    if static.rank is not None and static.rank < 2:
        return x
    rank = _tf.rank(x)
    perm = _tf.concat([[1, 0], _tf.range(2, rank)], axis=0)
    out = _tf.transpose(x, perm)
    if static.rank is not None:
        out.set_shape(_tf.TensorShape([static[1], static[0]]).concatenate(static[2:]))
    return out


def _unstack_ta(tensor):
    return _tf.TensorArray(dtype=tensor.dtype, size=_tf.shape(tensor)[0],
                           element_shape=tensor.shape[1:]).unstack(tensor)


def _as_shape(size):
    return _tf.TensorShape([size]) if isinstance(size, int) else _tf.TensorShape(size)


def _static_or_dynamic(tensor, axis):
    return tensor.shape[axis] or _tf.shape(tensor)[axis]
