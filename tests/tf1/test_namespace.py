"""compat.v1's namespace: tf.compat.v1's module attributes and TF 1.15's aliases."""

import numpy as np
import pytest
import tensorflow as raw_tf

import compat.v1 as tf
from compat import tooling as tools

DUNDERS = ("__version__", "__git_version__", "__compiler_version__", "__cxx11_abi_flag__",
           "__cxx_version__", "__monolithic_build__")


@pytest.mark.parametrize("name", DUNDERS)
def test_module_attributes_are_tf_compat_v1s(name):
    assert getattr(tf, name) == getattr(raw_tf.compat.v1, name)


def test_version_gated_library_code_runs():
    # the pattern that stopped published libraries at import time
    major = int(tf.__version__.split(".")[0])
    assert major == int(raw_tf.__version__.split(".")[0])
    assert set(tf.__all__) == set(raw_tf.compat.v1.__all__)


@pytest.mark.parametrize("name", DUNDERS + ("estimator.tpu.TPUEstimator",
                                            "estimator.inputs.pandas_input_fn"))
def test_report_agrees_with_what_the_shim_serves(name):
    graph, eager, _ = tools.support(name)
    assert graph != "missing" and eager != "missing"


def test_estimator_tpu_aliases_are_contrib_tpus_objects():
    for name in ("TPUEstimator", "TPUEstimatorSpec", "RunConfig", "TPUConfig",
                 "InputPipelineConfig"):
        assert getattr(tf.estimator.tpu, name) is getattr(tf.contrib.tpu, name), name


def test_canned_estimators_still_raise_a_clear_error():
    with pytest.raises(AttributeError, match="DNNClassifier.*Keras"):
        tf.estimator.DNNClassifier  # noqa: B018


def _pandas():
    return pytest.importorskip("pandas", reason="pandas is not installed: the "
                               "without-pandas error is tested instead")


def test_pandas_input_fn_without_pandas_raises_tf115s_type_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(TypeError, match="without pandas installed"):
        tf.estimator.inputs.pandas_input_fn(object(), shuffle=False)


def test_pandas_input_fn_batches_columns_and_labels(backend):
    pd = _pandas()
    x = pd.DataFrame({"a": np.arange(5, dtype=np.float32), "b": np.arange(5) * 10})
    y = pd.Series(np.arange(5, dtype=np.int64) % 2)
    features, labels = tf.estimator.inputs.pandas_input_fn(
        x, y, batch_size=2, num_epochs=1, shuffle=False)()
    got = []
    with tf.Session(backend=backend) as sess:
        try:
            while True:
                got.append(sess.run((features, labels)))
        except tf.errors.OutOfRangeError:
            pass
    np.testing.assert_array_equal(np.concatenate([f["a"] for f, _ in got]), x["a"])
    np.testing.assert_array_equal(np.concatenate([f["b"] for f, _ in got]), x["b"])
    np.testing.assert_array_equal(np.concatenate([lab for _, lab in got]), y)
    assert [len(lab) for _, lab in got] == [2, 2, 1]


def test_pandas_input_fn_checks_as_tf115_did():
    pd = _pandas()
    x = pd.DataFrame({"a": [1.0, 2.0], "target": [0, 1]})
    with pytest.raises(ValueError, match="shuffle must be provided"):
        tf.estimator.inputs.pandas_input_fn(x)
    with pytest.raises(ValueError, match="Cannot use name target"):
        tf.estimator.inputs.pandas_input_fn(x, pd.Series([0, 1]), shuffle=False)
    with pytest.raises(ValueError, match="Index for x and y are mismatched"):
        tf.estimator.inputs.pandas_input_fn(x[["a"]], pd.Series([0, 1], index=[5, 6]),
                                            shuffle=False)
