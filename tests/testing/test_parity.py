"""compat.testing.assert_backends_agree: agreement, caught divergences, messages, options."""

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import compat.v1 as tf
from compat.testing import (EXACT, BackendDivergence, Spec, Tolerance, assert_backends_agree,
                            compare_values)
from compat.testing import strategies as cs
from tests.testing.planted import planted_divergence

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32)

# Compares both backends explicitly: COMPAT_BACKEND does not change what it runs.
pytestmark = pytest.mark.parity


def small_model(optimizer="AdamOptimizer"):
    def build():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.get_variable("w", [3, 2], initializer=tf.random_normal_initializer(seed=1))
        y = tf.tanh(tf.matmul(x, w), name="n0")
        loss = tf.reduce_mean(tf.square(y - 0.5), name="loss")
        train = getattr(tf.train, optimizer)(0.1).minimize(loss)
        return Spec(outputs={"y": y, "loss": loss}, train_op=train)
    return build


def test_agreeing_graph_reports_bit_identical_steps():
    report = assert_backends_agree(small_model(), {"x": X}, steps=3, exact=True)
    assert report.steps == 3
    assert report.bit_identical
    # outputs, gradient, variables (w, two Adam slots, two beta powers) were compared
    assert {"y", "loss", "grad/w", "var/w", "var/w/Adam", "var/beta1_power"} \
        <= set(report.max_abs_diff)


def test_planted_forward_divergence_names_step_tensor_and_op(monkeypatch):
    with planted_divergence(monkeypatch, lambda n: n.name == "n0"):
        with pytest.raises(BackendDivergence) as info:
            assert_backends_agree(small_model(), {"x": X}, steps=2)
    e = info.value
    assert (e.step, e.name, e.backends, e.index, e.op) == (0, "y", ("graph", "eager"), (0, 0),
                                                          "n0")
    message = str(e)
    assert "disagree at step 0 (forward pass) on output 'y'" in message
    assert "'n0' (Tanh)" in message
    assert "1 of 4 elements differ" in message


def test_planted_divergence_in_the_update_is_localized_by_replay(monkeypatch):
    # The gradient op feeding the update differs: with gradients not compared,
    # the variables differ after step 1 and the step is replayed to find the op.
    def select(node):  # d loss / d w
        return node.name == "gradients/MatMul_grad/MatMul_1"

    with planted_divergence(monkeypatch, select):
        with pytest.raises(BackendDivergence) as info:
            assert_backends_agree(small_model("GradientDescentOptimizer"), {"x": X}, steps=2,
                                  gradients=False)
    e = info.value
    assert e.step == 1 and e.name == "var/w"
    assert e.op == "gradients/MatMul_grad/MatMul_1"
    assert "replayed from the values before the step" not in str(e)  # found the op itself
    assert "after training step 1" in str(e)


def test_tolerances_by_pattern(monkeypatch):
    with planted_divergence(monkeypatch, lambda n: n.name == "n0", delta=1e-3):
        # loose enough for the planted 1e-3 on y and everything downstream of it
        report = assert_backends_agree(
            small_model(), {"x": X}, steps=1,
            tolerances={"y": Tolerance(atol=2e-3), "loss": (0, 1e-3), "grad/*": (0, 1e-2),
                        "var/*": (0, 1e-2)})
        assert 0 < report.max_abs_diff["y"] <= 2e-3
        with pytest.raises(BackendDivergence, match="output 'y'"):
            assert_backends_agree(small_model(), {"x": X}, tolerances={"y": EXACT})


def test_init_copy_versus_seed_versus_explicit_values():
    def build():
        tf.get_variable("r", [4], initializer=tf.random_normal_initializer())  # unseeded
        return {}

    # copy: every backend starts from the reference's values whatever the seed
    assert_backends_agree(build, init="copy")
    # seed: an unseeded initializer differs between sessions: caught on the variables
    with pytest.raises(BackendDivergence, match="step 0 .initial values. on variable 'r'"):
        assert_backends_agree(build, init="seed")
    # explicit values, loaded on every backend
    assert_backends_agree(build, init={"r": np.arange(4, dtype=np.float32)})
    with pytest.raises(KeyError, match="no variable named 'nope'"):
        assert_backends_agree(build, init={"nope": 1.0})


def test_feeds_per_step_and_callable():
    per_step = [{"x": X * s} for s in range(3)]
    assert assert_backends_agree(small_model(), per_step, steps=2).steps == 2
    assert assert_backends_agree(small_model(), lambda s: {"x": X + s}, steps=2).steps == 2
    with pytest.raises(ValueError, match="feeds has 1 entries but step 1 needs one"):
        assert_backends_agree(small_model(), [{"x": X}], steps=1)


def test_errors_raised_by_every_backend_count_as_agreement():
    def build():
        x = tf.placeholder(tf.float32, [None], name="x")
        checked = tf.debugging.check_numerics(x, "bad input")
        return {"y": checked * 2.0}

    report = assert_backends_agree(build, {"x": np.array([1.0, np.nan], np.float32)})
    assert report.errors and report.errors[0][2] == "InvalidArgumentError"
    assert report.errors[0][3] == "bad input : Tensor had NaN values"


def test_an_error_on_one_backend_only_is_a_divergence(monkeypatch):
    from compat.runtime.backends.eager import signature

    real = signature._Signature.call

    def failing(self, values):  # fails the runs fed with X only
        if any(np.shape(v) == X.shape for v in values):
            raise tf.errors.InternalError(None, None, "planted failure")
        return real(self, values)

    monkeypatch.setattr(signature._Signature, "call", failing)
    with pytest.raises(BackendDivergence, match="eager: raised InternalError: planted failure"):
        assert_backends_agree(small_model(), {"x": X})


def test_checkpoint_round_trip_between_backends():
    report = assert_backends_agree(small_model(), {"x": X}, steps=2, round_trip=True,
                                   exact=True)
    assert report.bit_identical


def test_iterator_fed_training_with_joint_fetches():
    data = np.arange(12, dtype=np.float32).reshape(6, 2)

    def build():
        src = tf.placeholder(tf.float32, [None, 2], name="src")
        it = tf.data.Dataset.from_tensor_slices(src).batch(2).make_initializable_iterator()
        batch = it.get_next()
        w = tf.get_variable("w", [2], initializer=tf.ones_initializer())
        loss = tf.reduce_sum(batch * w, name="loss")
        train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
        return Spec(
            outputs={"loss": loss}, train_op=train,
            init_ops=[tf.global_variables_initializer(), it.initializer],
            init_feed={"src": data})

    report = assert_backends_agree(build, steps=2, joint=True, gradients=False, exact=True)
    assert report.steps == 2


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least two backends"):
        assert_backends_agree(small_model(), backends=("graph",))
    with pytest.raises(ValueError, match="needs Spec.train_op"):
        assert_backends_agree(lambda: {"c": tf.constant(1.0)}, steps=1)
    with pytest.raises(TypeError, match="must return a Spec or a mapping"):
        assert_backends_agree(lambda: [tf.constant(1.0)])
    with pytest.raises(ValueError, match="output 'missing:0' is not in the graph"):
        assert_backends_agree(lambda: {"m": "missing:0"})
    with pytest.raises(ValueError, match="init must be"):
        assert_backends_agree(small_model(), {"x": X}, init="zeros")


@pytest.mark.parametrize("a, b, tol, same", [
    (np.float32(1.0), np.float32(1.0), EXACT, True),
    (np.float32(0.0), np.float32(-0.0), EXACT, False),          # bit-equality sees the sign
    (np.float32(0.0), np.float32(-0.0), Tolerance(0, 1e-9), True),
    (np.array([np.nan]), np.array([np.nan]), EXACT, True),
    (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-7]), Tolerance(1e-6, 0), True),
    (np.array([1, 2]), np.array([1, 3]), EXACT, False),
    (np.array([b"a"], object), np.array([b"a"], object), EXACT, True),
    (np.zeros([2]), np.zeros([3]), EXACT, False),
])
def test_compare_values(a, b, tol, same):
    result = compare_values(a, b, tol)
    assert (result is None or bool(result.get("ok"))) == same


# --- differential fuzzing of the shim itself ---------------------------------------
@given(cs.graph_programs(), st.data())
def test_random_tf1_graphs_agree_across_backends(program, data):
    feeds = data.draw(program.feeds(steps=2), label="feeds")
    assert_backends_agree(program.build, feeds, steps=2)


def test_random_graph_property_catches_a_planted_matmul_difference(monkeypatch):
    """The fuzzing property fails, with a message naming the planted op."""
    @settings(phases=(Phase.generate,), derandomize=True)  # no shrinking: the first failure
    @given(cs.graph_programs(max_nodes=2), st.data())
    def prop(program, data):
        assert_backends_agree(program.build, data.draw(program.feeds(steps=0)))

    with planted_divergence(monkeypatch, lambda n: n.op == "MatMul"):
        with pytest.raises(BackendDivergence) as info:
            prop()
    assert "(MatMul)" in str(info.value)
    assert info.value.op.startswith("MatMul")
