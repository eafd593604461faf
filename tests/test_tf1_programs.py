"""TF 1.15 programs run unchanged through `import compat.v1 as tf`, on both backends,
and compute what TensorFlow's own v1 Session computes for the same program."""

import importlib
import pathlib
import sys

import numpy as np
import pytest
import tensorflow as tf2

import compat

PROGRAMS = pathlib.Path(__file__).parent / "tf1_programs"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return _run_raw_reference(tmp_path_factory.mktemp("raw"))


def _run_raw_reference(tmp_path):
    """The same source with the original import, in a graph, on a raw v1 Session."""
    source = (PROGRAMS / "regression_1_15.py").read_text()
    source = source.replace("import compat.v1 as tf", "import tensorflow.compat.v1 as tf")
    assert "compat.v1 as tf" not in source.replace("tensorflow.compat.v1 as tf", "")
    namespace = {"__name__": "raw_reference"}
    with tf2.Graph().as_default() as g:
        exec(compile(source, "regression_1_15_raw.py", "exec"), namespace)
        return namespace["main"](lambda: tf2.compat.v1.Session(graph=g), str(tmp_path))


def _run_shim(backend, tmp_path):
    sys.modules.pop("tests.tf1_programs.regression_1_15", None)
    tf2.compat.v1.reset_default_graph()
    module = importlib.import_module("tests.tf1_programs.regression_1_15")
    assert tf2.executing_eagerly(), "building the TF1 program must not leave graph mode on"
    return module.main(lambda: compat.Session(backend=backend), str(tmp_path))


def test_tf1_program_matches_raw_tensorflow(reference, backend, tmp_path):
    ref = reference
    got = _run_shim(backend, tmp_path / backend)
    np.testing.assert_array_equal(got["losses"], ref["losses"])  # bit-identical
    np.testing.assert_array_equal(got["final_w_var"], ref["final_w_var"])
    # TF1 returned a variable's value for its name; raw TF 2.21 returns the handle.
    np.testing.assert_array_equal(got["final_w"], ref["final_w_var"])
    assert np.asarray(ref["final_w"]).shape != ref["final_w_var"].shape
    np.testing.assert_array_equal(got["restored_w"], ref["final_w_var"])
    assert got["step"] == ref["step"] == 30
    assert got["n_vars"] == ref["n_vars"]
    np.testing.assert_array_equal(got["shared"], np.zeros(3))
    assert got["losses"][-1] < got["losses"][0] / 10
