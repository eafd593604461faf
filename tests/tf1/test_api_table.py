"""The supported-API table resolves through compat.v1 and drives the docs' API page."""

import importlib.util
import pathlib
import types

import pytest

import compat.v1 as tf
from compat.tf1 import api_table

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", api_table.symbols())
def test_every_table_symbol_resolves(path):
    obj = tf
    for part in path.split("."):
        obj = getattr(obj, part)
    assert obj is not None


def test_namespaces_required_by_tf1_programs_exist():
    for ns in ("train", "nn", "errors", "saved_model", "summary", "data", "sparse", "losses",
               "metrics", "lookup", "layers", "initializers", "random", "math", "io"):
        assert getattr(tf, ns) is not None


def test_module_names_of_the_shim_do_not_shadow_tensorflow_names():
    """compat.v1's own module-level names come first in `tf.<name>`: only the Session
    classes may be public (`tf.logging` was the stdlib's logging module)."""
    import compat.v1 as module

    # (`import compat.v1.contrib.x` makes Python set the namespace's own submodule on
    # compat.v1: the same object `tf.contrib` gives, so it shadows nothing)
    own = sorted(n for n, v in vars(module).items() if n.isidentifier()
                 and not n.startswith("_") and not (isinstance(v, types.ModuleType)
                                                    and v is getattr(module._namespace, n)))
    assert own == ["InteractiveSession", "Session"]
    tf.logging.set_verbosity(tf.logging.INFO)
    assert tf.logging.INFO == 20 and callable(tf.logging.info)
    assert tf.sysconfig.get_include()


def test_tf1_script_flags():
    """`FLAGS = tf.app.flags.FLAGS` is the flag values object (it was wrapped into a
    function, so `FLAGS.name` raised AttributeError)."""
    tf.app.flags.DEFINE_integer("compat_test_steps", 3, "steps")
    FLAGS = tf.app.flags.FLAGS
    FLAGS(["script.py", "--compat_test_steps=7"])
    assert FLAGS.compat_test_steps == 7 and tf.flags.FLAGS.compat_test_steps == 7
    FLAGS.compat_test_steps = 9
    assert tf.app.flags.FLAGS["compat_test_steps"].value == 9


def test_session_entry_points_are_the_shims():
    import compat
    assert tf.Session is compat.Session
    assert tf.InteractiveSession is compat.InteractiveSession
    assert tf.compat.v1 is tf


def test_global_switches_are_noops():
    import tensorflow as tf2
    tf.disable_v2_behavior()
    tf.disable_eager_execution()
    assert tf2.executing_eagerly()


def test_docs_page_is_generated_from_the_table():
    """docs/api.md holds only the marker; the mkdocs hook renders the table from the data."""
    page = (ROOT / "docs" / "api.md").read_text()
    assert "<!-- API-TABLE -->" in page
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    rendered = hooks.render(page)
    assert api_table.markdown() in rendered and "<!-- API-TABLE -->" not in rendered
    for entry in api_table.ENTRIES:
        assert entry.symbol.split(" / ")[0] in rendered


def test_errors_are_real_exception_classes():
    with pytest.raises(tf.errors.NotFoundError):
        raise tf.errors.NotFoundError(None, None, "x")
    assert issubclass(tf.errors.FailedPreconditionError, tf.errors.OpError)


def test_guarded_class_behaves_like_the_class(graph):
    opt = tf.train.GradientDescentOptimizer(0.1)
    assert isinstance(opt, tf.train.Optimizer)
    assert issubclass(tf.train.AdamOptimizer, tf.train.Optimizer)

    class Custom(tf.train.GradientDescentOptimizer):
        pass

    assert isinstance(Custom(0.1), tf.train.Optimizer)
    v = tf.get_variable("v", [])
    # TF 1.15: every variable class derives from tf.Variable (raw TF 2.21's
    # tf.compat.v1.Variable rejects resource variables)
    assert isinstance(v, tf.Variable) and issubclass(type(v), tf.Variable)
    assert not isinstance(tf.constant(1.0), tf.Variable)
    assert isinstance(tf.constant(1.0), tf.Tensor)


def test_missing_symbol_names_it():
    with pytest.raises(AttributeError, match="no attribute 'not_a_tf1_symbol'"):
        tf.train.not_a_tf1_symbol
