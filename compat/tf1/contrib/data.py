"""``tf.contrib.data``: the TF 1.15 transformations TensorFlow 2.21 no longer has."""


import tensorflow as _tf


_v1 = _tf.compat.v1

__all__ = ["batch_and_drop_remainder", "padded_batch_and_drop_remainder",
    "sliding_window_batch", "sloppy_interleave"]


# --- contrib.data ------------------------------------------------------------------
def batch_and_drop_remainder(batch_size):
    """TF1 ``tf.contrib.data.batch_and_drop_remainder``: a transformation for
    ``Dataset.apply`` batching `batch_size` elements, without the last partial batch."""
    return lambda dataset: dataset.batch(batch_size, drop_remainder=True)


def padded_batch_and_drop_remainder(batch_size, padded_shapes, padding_values=None):
    """TF1 ``tf.contrib.data.padded_batch_and_drop_remainder`` (``Dataset.apply``)."""
    return lambda dataset: dataset.padded_batch(batch_size, padded_shapes, padding_values,
                                                drop_remainder=True)


def sliding_window_batch(window_size, stride=None, window_shift=None, window_stride=1):
    """TF1 ``tf.contrib.data.sliding_window_batch`` (``Dataset.apply``): batches of
    `window_size` elements, `window_stride` apart, the window moving by `window_shift`
    (or its older name `stride`; default 1) elements; incomplete windows are dropped."""
    if stride is not None and window_shift is not None:
        raise ValueError("Cannot specify both `stride` and `window_shift` (stride is the "
                         "deprecated name of window_shift)")
    shift = stride if stride is not None else window_shift if window_shift is not None else 1

    def batch_window(*window):
        window = window[0] if len(window) == 1 else window
        if not isinstance(window, _tf.data.Dataset):
            window = _tf.data.Dataset.zip(window)
        return window.batch(window_size, drop_remainder=True)

    return lambda dataset: dataset.window(window_size, shift, window_stride,
                                          drop_remainder=True).flat_map(batch_window)


def sloppy_interleave(map_func, cycle_length, block_length=1):
    """TF1 ``tf.contrib.data.sloppy_interleave``: ``parallel_interleave`` with
    ``sloppy=True`` (elements in the order they are ready)."""
    return _v1.data.experimental.parallel_interleave(map_func, cycle_length, block_length,
                                                      sloppy=True)
