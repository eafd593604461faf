"""compat report and compat migrate on fixture projects (static: user code never runs)."""

import json
import os
import runpy
import textwrap

import numpy as np
import pytest

from compat import cli
from compat import tooling as tools

MODEL_2018 = '''\
# A 2018 model file
import numpy as np
import tensorflow as tf  # the TF1 API
tf.disable_v2_behavior()


def build():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    h = tf.layers.dense(x, 3, name="fc")   # dense
    loss = tf.reduce_sum(tf.square(h))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    return x, loss, train


def main(backend):
    x, loss, train = build()
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run(loss, {x: np.ones((2, 2))})
        sess.run(train, {x: np.ones((2, 2))})
        return before, sess.run(loss, {x: np.ones((2, 2))})
'''

V1_STYLE = '''\
import tensorflow.compat.v1 as tf
from tensorflow.compat import v1 as tfv1
from tensorflow import keras
if True:
    tf.disable_eager_execution()
tf.compat.v1.disable_v2_behavior()  # keep me
x = tf.placeholder(tf.float32)
y = tf.contrib.cudnn_rnn.CudnnLSTM
'''


@pytest.fixture
def project(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "model.py").write_text(MODEL_2018)
    (pkg / "v1style.py").write_text(V1_STYLE)
    (pkg / "broken.py").write_text("def broken(:\n    pass\n")
    (pkg / "star.py").write_text("from tensorflow import *\n")
    (pkg / "plain.py").write_text("import os\n")
    (pkg / "ported").mkdir()
    (pkg / "ported" / "model.py").write_text("import tensorflow as tf\n")
    (pkg / "ported" / "__init__.py").write_text("")
    return pkg


def by_module(reports):
    return {r.module: r for r in reports}


def report_with_env(monkeypatch, path, **env):
    """tools.report under temporary compat configuration variables."""
    from compat.runtime import config as _config
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    _config.reload_config()
    try:
        return by_module(tools.report(path))
    finally:
        for key in env:
            monkeypatch.delenv(key)
        _config.reload_config()


def test_report_lists_symbols_support_backend_and_ported(project, monkeypatch):
    reports = report_with_env(monkeypatch, str(project), COMPAT_MODULES="pkg.model=eager")
    model = reports["pkg.model"]
    symbols = {s["symbol"]: s for s in model.symbols}
    assert {"placeholder", "layers.dense", "train.GradientDescentOptimizer", "Session",
            "disable_v2_behavior", "global_variables_initializer"} <= set(symbols)
    assert symbols["layers.dense"]["graph"] == "shim"
    assert symbols["train.GradientDescentOptimizer"]["eager"] == "rewritten"
    assert symbols["placeholder"]["line"] == 8
    assert model.backend == "eager" and "module table" in model.backend_source
    assert model.ported.endswith(os.path.join("ported", "model.py"))
    v1 = {s["symbol"]: s for s in reports["pkg.v1style"].symbols}
    assert v1["contrib.cudnn_rnn.CudnnLSTM"]["eager"] == "missing"
    assert "tf.keras.layers.LSTM" in v1["contrib.cudnn_rnn.CudnnLSTM"]["note"]
    assert "compat" not in v1
    assert reports["pkg.broken"].error.startswith("syntax error at line 1")
    assert reports["pkg.star"].star_imports == [1]
    assert not reports["pkg.plain"].uses_tf1 and reports["pkg.plain"].ported == ""
    # neither a package's __init__ nor a port itself counts as ported
    assert reports["pkg"].ported == "" and reports["pkg.ported.model"].ported == ""


def test_report_formats(project, capsys):
    assert cli.main(["report", str(project)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split() == ["module", "TF1", "symbol", "graph/eager",
                                            "backend", "ported", "notes"]
    assert "star import at line 1" in text and "syntax error at line 1" in text
    assert "need attention: pkg.broken, pkg.star, pkg.v1style" in text
    assert cli.main(["report", str(project), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["module"] for d in data} >= {"pkg.model", "pkg.broken", "pkg.star"}
    assert cli.main(["report", str(project), "--markdown"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("| module | TF1 symbol |") and "| pkg.model | `layers.dense` |" in md
    assert cli.main(["report", str(project / "absent")]) == 2


def test_migrate_rewrites_imports_keeps_comments_and_is_idempotent(project, capsys):
    assert cli.main(["migrate", str(project)]) == 0
    out = capsys.readouterr()
    model = (project / "model.py").read_text()
    assert model == MODEL_2018.replace(
        "import tensorflow as tf  # the TF1 API\ntf.disable_v2_behavior()\n",
        "import compat.v1 as tf  # the TF1 API\n")
    v1 = (project / "v1style.py").read_text()
    assert v1 == textwrap.dedent('''\
        import compat.v1 as tf
        import compat.v1 as tfv1
        from compat.v1 import keras
        if True:
            pass
        # keep me
        x = tf.placeholder(tf.float32)
        y = tf.contrib.cudnn_rnn.CudnnLSTM
        ''')
    assert "rewrote 3 of 8 file(s)" in out.out  # model, v1style, ported/model
    assert "broken.py:1: syntax error" in out.err
    assert "star.py:1: from tensorflow import *: star import" in out.err
    # TF1 code's Keras is TF 1.x's (compat.v1.keras), not TF 2.21's Keras 3
    assert "v1style.py: line 3: from tensorflow import ... -> from compat.v1 import" in out.out
    assert (project / "broken.py").read_text() == "def broken(:\n    pass\n"
    # idempotent: a second run changes nothing
    again = tools.migrate(str(project))
    assert not any(m.changed for m in again)


def test_migrate_diff_writes_nothing(project, capsys):
    before = {p.name: p.read_text() for p in project.glob("*.py")}
    assert cli.main(["migrate", str(project), "--diff"]) == 0
    out = capsys.readouterr()
    assert "-import tensorflow as tf  # the TF1 API" in out.out
    assert "+import compat.v1 as tf  # the TF1 API" in out.out
    assert "would rewrite 3 of 8" in out.err
    assert {p.name: p.read_text() for p in project.glob("*.py")} == before


def test_migrate_leaves_what_it_cannot_rewrite(tmp_path):
    f = tmp_path / "odd.py"
    src = "import os, tensorflow as tf\nimport tensorflow\nx = 1; tf.disable_v2_behavior()\n"
    f.write_text(src)
    [m] = tools.migrate(str(f))
    assert not m.changed and f.read_text() == src
    reasons = " ".join(r for _, r in m.not_rewritten)
    assert "split the import" in reasons and "without an alias" in reasons
    assert "shares its line" in reasons


SLIM_2018 = """\
import numpy as np
import tensorflow as tf
import tensorflow.contrib.slim as slim
from tensorflow.contrib.slim.nets import resnet_v1
from tensorflow.contrib import layers as contrib_layers
from tensorflow.contrib.framework import arg_scope
from tensorflow.contrib.cudnn_rnn import CudnnLSTM


def main(backend):
    x = tf.placeholder(tf.float32, [None, 4])
    with arg_scope([contrib_layers.fully_connected],
                        weights_initializer=contrib_layers.xavier_initializer()):
        y = slim.fully_connected(x, 3, scope="fc")
    assert callable(resnet_v1.resnet_v1)
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(y, {x: np.ones((2, 4), np.float32)})
"""


def test_migrate_rewrites_tf_contrib_imports(tmp_path, backend):
    """`import tensorflow.contrib.slim as slim` and `from tensorflow.contrib... import`
    become imports of the shim's tf.contrib; an uncovered piece is rewritten too (the
    import then fails with the shim's message) and reported with its replacement."""
    f = tmp_path / "slim2018.py"
    f.write_text(SLIM_2018)
    [m] = tools.migrate(str(f))
    text = f.read_text()
    assert "import compat.v1.contrib.slim as slim\n" in text
    assert "from compat.v1.contrib.slim.nets import resnet_v1\n" in text
    assert "from compat.v1.contrib import layers as contrib_layers\n" in text
    assert "from compat.v1.contrib.framework import arg_scope\n" in text  # tf-slim's
    assert "tensorflow" not in text.replace("import compat.v1 as tf", "")
    [(line, reason)] = m.not_rewritten
    assert line == 7 and "tf.contrib.cudnn_rnn" in reason and "tf.keras.layers.LSTM" in reason
    f.write_text(text.replace(
        "from compat.v1.contrib.cudnn_rnn import CudnnLSTM\n", ""))
    import compat.v1 as tf
    with tf.Graph().as_default():
        out = runpy.run_path(str(f))["main"](backend)
    assert out.shape == (2, 3) and np.all(np.isfinite(out))


@pytest.mark.parametrize("backend", ["graph", "eager"])
def test_migrated_2018_file_runs_on_both_backends(tmp_path, backend):
    f = tmp_path / "model2018.py"
    f.write_text(MODEL_2018)
    tools.migrate(str(f))
    import compat.v1 as tf
    with tf.Graph().as_default():
        before, after = runpy.run_path(str(f))["main"](backend)
    assert np.isfinite(before) and after < before


def test_report_reads_ported_table_from_setup_cfg(project, tmp_path, monkeypatch):
    cfg = tmp_path / "setup.cfg"
    cfg.write_text("[compat]\nported = pkg.v1style=pkg.v1style_tf2\n")
    reports = report_with_env(monkeypatch, str(project), COMPAT_CONFIG=str(cfg))
    assert reports["pkg.v1style"].ported == "pkg.v1style_tf2"


def test_support_levels_of_contrib_pieces():
    """The report's support column for tf.contrib: tabled pieces, tf-slim's pieces
    not in the table, and removed ones (with their replacement)."""
    assert tools.support("contrib.layers.layer_norm")[:2] == ("native", "rewritten")
    graph, eager, note = tools.support("contrib.metrics.streaming_pearson_correlation")
    assert (graph, eager) == ("native", "rewritten") and "tf-slim" in note
    graph, eager, note = tools.support("contrib.cudnn_rnn.CudnnLSTM")
    assert (graph, eager) == ("missing", "missing") and "tf.keras.layers.LSTM" in note
    assert tools.support("get_session_handle")[:2] == ("native", "unsupported")


TF2_FILE = """\
import tensorflow as tf
import keras


@tf.function
def step(model, opt, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                            model.trainable_variables))
    return loss


writer = tf.summary.create_file_writer("/tmp/logs")
"""


def test_migrate_leaves_tf2_files_alone_and_says_so(tmp_path):
    f = tmp_path / "tf2.py"
    f.write_text(TF2_FILE)
    mixed = tmp_path / "mixed.py"
    mixed.write_text("import tensorflow as tf\n\n\n@tf.function\ndef f(x):\n"
                     "    return x\n\n\nx = tf.placeholder(tf.float32)\n")
    results = {os.path.basename(m.path): m for m in tools.migrate(str(tmp_path))}
    m = results["tf2.py"]
    assert not m.changed and f.read_text() == TF2_FILE
    [(_, reason)] = m.not_rewritten
    assert "already TF2 code" in reason and "tf.function at line 5" in reason
    # TF1 code that also uses a TF2 name is TF1 code: migrated
    assert results["mixed.py"].changed
    assert mixed.read_text().startswith("import compat.v1 as tf\n")


TF1_INTERNALS_FILE = '''\
import tensorflow as tf
from tensorflow.python import tf2
from tensorflow.python.tf2 import enabled as v2_enabled
import tensorflow.python.tf2 as tf2_module
from tensorflow.python import pywrap_tensorflow
from tensorflow.python.util.nest import is_sequence
from tensorflow.python.ops import array_ops

USE_V2 = tf2.enabled() or v2_enabled() or tf2_module.enabled()
EVENTS = pywrap_tensorflow.EventsWriter
READER = pywrap_tensorflow.NewCheckpointReader
x = tf.placeholder(tf.float32, [None, 2])
y = array_ops.concat([x, x], 1) if is_sequence([x]) else x
'''


def test_migrate_rewrites_internals_tf1_code_reads_differently(tmp_path, backend):
    """``tensorflow.python.tf2`` answers as in TF 1.15 (v2 behaviour off) and
    ``pywrap_tensorflow`` has TF 1.15's names, for migrated code; the other internal
    imports stay, and their ops build in TF1's default graph at module level."""
    f = tmp_path / "legacy_internals.py"
    f.write_text(TF1_INTERNALS_FILE)
    [m] = tools.migrate(str(f))
    source = f.read_text()
    assert "from compat.tf1 import tf2\n" in source
    assert "from compat.tf1.tf2 import enabled as v2_enabled\n" in source
    assert "import compat.tf1.tf2 as tf2_module\n" in source
    assert "from compat.tf1 import pywrap_tensorflow\n" in source
    assert "from tensorflow.python.ops import array_ops\n" in source
    assert tools.migrate(str(f))[0].changed is False  # idempotent
    import compat
    import compat.v1 as shim

    namespace = runpy.run_path(str(f))
    assert namespace["USE_V2"] is False
    from tensorflow.python.client import _pywrap_events_writer
    assert namespace["EVENTS"] is _pywrap_events_writer.EventsWriter
    x, y = namespace["x"], namespace["y"]
    assert y.graph is x.graph is shim.get_default_graph()
    with compat.Session(backend=backend) as s:
        np.testing.assert_array_equal(s.run(y, {x: [[1., 2.]]}), [[1., 2., 1., 2.]])
    # TensorFlow's own module keeps TensorFlow's answer
    from tensorflow.python import tf2 as tf_tf2
    assert tf_tf2.enabled() is True


def test_restored_internal_names_are_tensorflows_objects():
    import sys

    import compat.v1  # noqa: F401 - restores the names on import
    from tensorflow.python.layers import normalization
    from tensorflow.python.util import nest

    assert nest.is_sequence is nest.is_nested
    # TF's lazily loaded tf.layers modules are tf-keras's own (one copy of each class)
    from tf_keras.src.legacy_tf_layers import normalization as shipped
    assert normalization.BatchNormalization is shipped.BatchNormalization
    assert sys.modules["tf_keras.legacy_tf_layers.normalization"] is shipped
    assert shipped.__spec__.name == "tf_keras.src.legacy_tf_layers.normalization"


TF1_KERAS_FILE = '''\
import tensorflow as tf
from tensorflow.keras.layers import Dense
from tensorflow import keras

x = tf.placeholder(tf.float32, [None, 3])
y = Dense(2, kernel_initializer="ones", name="head")(x)
z = keras.layers.Dense(1, kernel_initializer="ones", name="out")(y)
'''


def test_migrated_keras_imports_are_tf1_keras_on_tf1_graphs(tmp_path, backend):
    """``from tensorflow.keras ... import`` in TF1 code gives TF 1.x's Keras (layers on
    TF1 graph tensors, TF1 variable names), not Keras 3."""
    f = tmp_path / "keras_tf1.py"
    f.write_text(TF1_KERAS_FILE)
    tools.migrate(str(f))
    assert "from compat.v1.keras.layers import Dense\n" in f.read_text()
    assert "from compat.v1 import keras\n" in f.read_text()
    import compat
    import compat.v1 as shim

    namespace = runpy.run_path(str(f))
    x, z = namespace["x"], namespace["z"]
    assert z.graph is x.graph is shim.get_default_graph()
    assert "head/kernel:0" in [v.name for v in shim.global_variables()]
    with compat.Session(backend=backend) as s:
        s.run(shim.global_variables_initializer())
        np.testing.assert_allclose(s.run(z, {x: [[1., 2., 3.]]}), [[12.]])


def test_migrate_rewrites_tf_module_paths_in_strings(tmp_path):
    """Libraries name TF1 namespaces in strings resolved at run time (``pydoc.locate``
    of a class named in hparams): those become the shim's paths; a path TF1 did not have
    and the bare distribution name stay."""
    f = tmp_path / "hparams.py"
    f.write_text("import tensorflow as tf\nfrom tensorflow import gfile\n"
                 "MODULES = ['tensorflow.train', 'tensorflow.contrib.sparsemax', "
                 "'tensorflow']\nDIST = 'tensorflow'\nx = tf.placeholder(tf.float32)\n")
    tools.migrate(str(f))
    out = f.read_text()
    assert "from compat.v1 import gfile\n" in out
    # in a list of module paths, "tensorflow" is one too; alone, it may name the package
    assert "['compat.v1.train', 'tensorflow.contrib.sparsemax', 'compat.v1']" in out
    assert "DIST = 'tensorflow'\n" in out
