"""``tf.estimator.inputs``: input functions over in-memory data."""


import numpy as np
import tensorflow as tf

_v1 = tf.compat.v1

__all__ = ["numpy_input_fn", "pandas_input_fn"]


def numpy_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None,
                   queue_capacity=1000, num_threads=1):
    """An ``input_fn`` over NumPy arrays: `x` a dict of arrays (features by key) or one
    array (the features tensor), `y` labels (an array or a dict). ``shuffle`` must be
    set explicitly. The batches come from a ``tf.data`` pipeline (TF 1.x used feeding
    queues: unshuffled batches are the same, shuffled ones come in another order)."""
    if not isinstance(shuffle, bool):
        raise ValueError(f"shuffle must be provided and explicitly set as boolean (it is "
                         f"recommended to set it as True for training); got {shuffle}")
    if not isinstance(x, dict):
        if isinstance(x, np.ndarray):
            x = {"__direct_np_input__": x}
        else:
            raise TypeError(f"x must be a dict or array; got {type(x).__name__}")
    if isinstance(y, dict) and set(x) & set(y):
        raise ValueError(f"{sorted(set(x) & set(y))} duplicate keys are found in both x "
                         "and y; keys in x and y must be unique.")
    lengths = {len(v) for v in x.values()}
    if y is not None:
        lengths |= {len(v) for v in (y.values() if isinstance(y, dict) else [y])}
    if len(lengths) != 1:
        raise ValueError(f"Length of tensors in x and y is mismatched. All elements in x "
                         f"and y must have the same length. Lengths: {sorted(lengths)}")

    def input_fn():
        data = dict(x)
        dataset = tf.data.Dataset.from_tensor_slices((data, y) if y is not None else data)
        if shuffle:
            dataset = dataset.shuffle(queue_capacity)
        dataset = dataset.repeat(num_epochs).batch(batch_size)
        element = _v1.data.make_one_shot_iterator(dataset).get_next()
        features, labels = element if y is not None else (element, None)
        if "__direct_np_input__" in features:
            features = features["__direct_np_input__"]
        return (features, labels) if y is not None else features

    return input_fn


def pandas_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None,
                    queue_capacity=1000, num_threads=1, target_column="target"):
    """An ``input_fn`` over a pandas ``DataFrame`` `x` (features by column) and labels `y`
    (a ``Series``, or a ``DataFrame`` giving a dict of labels), as TF 1.15's
    ``tf.estimator.inputs.pandas_input_fn``: ``shuffle`` must be set explicitly, `x` and
    `y` must share their index, and `target_column` must not be a column of `x`."""
    try:
        import pandas as pd
    except ImportError:
        raise TypeError("pandas_input_fn should not be called without pandas installed "
                        "(pip install pandas)") from None
    if not isinstance(x, pd.DataFrame):
        raise TypeError(f"x must be a pandas DataFrame; got {type(x).__name__}")
    if not isinstance(shuffle, bool):
        raise ValueError(f"shuffle must be provided and explicitly set as boolean (it is "
                         f"recommended to set it as True for training); got {shuffle}")
    labels = None
    if y is not None:
        if target_column in x:
            raise ValueError(f"Cannot use name {target_column} for target column: DataFrame "
                             "already has a column with that name: "
                             f"{list(x.columns)}")
        if not np.array_equal(x.index, y.index):
            raise ValueError(f"Index for x and y are mismatched.\nIndex for x: {x.index}\n"
                             f"Index for y: {y.index}\n")
        labels = ({str(k): y[k].to_numpy() for k in y.columns}
                  if isinstance(y, pd.DataFrame) else y.to_numpy())
    features = {str(k): x[k].to_numpy() for k in x.columns}
    return numpy_input_fn(features, labels, batch_size=batch_size, num_epochs=num_epochs,
                          shuffle=shuffle, queue_capacity=queue_capacity,
                          num_threads=num_threads)
