"""``tf.contrib.stateless``: TF 1.15's stateless random ops."""


import tensorflow as _tf
from tensorflow.python.ops import gen_stateless_random_ops as _stateless_ops


__all__ = ["stateless_multinomial", "stateless_random_normal", "stateless_random_uniform",
    "stateless_truncated_normal"]


# --- contrib.stateless: TF 1.15's ops (the V1 kernels, so TF1's numbers) ---------------
def stateless_random_uniform(shape, seed, dtype=_tf.float32, name=None):
    """Uniform [0, 1) values determined by `shape` and the int32/int64 pair `seed`."""
    return _stateless_ops.stateless_random_uniform(shape, seed, dtype=dtype, name=name)


def stateless_random_normal(shape, seed, dtype=_tf.float32, name=None):
    """Standard normal values determined by `shape` and `seed`."""
    return _stateless_ops.stateless_random_normal(shape, seed, dtype=dtype, name=name)


def stateless_truncated_normal(shape, seed, dtype=_tf.float32, name=None):
    """Normal values within two standard deviations, determined by `shape` and
    `seed`."""
    return _stateless_ops.stateless_truncated_normal(shape, seed, dtype=dtype, name=name)


def stateless_multinomial(logits, num_samples, seed, output_dtype=_tf.int64, name=None):
    """Samples from the categorical distributions `logits` [batch, classes],
    determined by `seed`."""
    return _stateless_ops.stateless_multinomial(logits, num_samples, seed,
                                                output_dtype=output_dtype, name=name)
