"""A read of a variable that the same run updates, with nothing ordering the two (a
learning-rate schedule on ``global_step`` beside ``minimize(global_step=...)``, a fetch
of a variable beside its update), sees the value from before the run's updates: every
run, on both backends, as a v1 Session gives it in practice."""

import numpy as np
import pytest

import compat
import compat.v1 as tf

ROUNDS = 6  # fresh sessions per case: the eager backend raced here before


def _schedule_run(backend, with_cond):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        step = tf.train.get_or_create_global_step()
        lr = tf.train.exponential_decay(0.1, step, 1, 0.5)
        w = tf.get_variable("w", [3, 1], initializer=tf.ones_initializer())
        h = tf.matmul(x, w)
        if with_cond:  # lowered to TF1 control flow by the graph optimizer
            h = tf.cond(tf.reduce_mean(h) > 0, lambda: h * 2., lambda: h)
        loss = tf.reduce_mean(tf.square(h - 1.))
        train = tf.train.GradientDescentOptimizer(lr).minimize(loss, global_step=step)
        xs = np.full((4, 3), 0.5, np.float32)
        with compat.Session(graph=g, backend=backend) as s:
            s.run(tf.global_variables_initializer())
            seen = [tuple(s.run([lr, step, train], {x: xs})[:2]) for _ in range(3)]
            return seen, s.run(w)


@pytest.mark.parametrize("with_cond", [False, True])
def test_schedule_reads_the_step_from_before_the_update(backend, with_cond):
    """Every run on eager; on the graph backend (TensorFlow's own Session) the read
    usually comes first too, but under load its executor may run the increment first:
    there, one of the two values."""
    results = [_schedule_run(backend, with_cond) for _ in range(ROUNDS)]
    for seen, w in results:
        steps = [int(step) for _, step in seen]
        if backend == "eager":
            assert steps == [0, 1, 2]
            np.testing.assert_allclose([lr for lr, _ in seen], [0.1, 0.05, 0.025],
                                       rtol=1e-6)
            np.testing.assert_array_equal(w, results[0][1])
        else:
            assert all(s in (i, i + 1) for i, s in enumerate(steps)), steps


@pytest.mark.parametrize("use_resource", [True, False])
def test_fetch_beside_its_update(backend, use_resource):
    """A resource variable's read copies the value the run started with; a TF1 ref
    variable's fetch aliases its buffer, so the Session returns it after the run's
    updates (TF 1.x's answer, kept on both backends)."""
    first = 1. if use_resource else 11.
    if backend == "graph" and use_resource:
        first = None  # the Session's order: usually the read first, not under load
    for _ in range(ROUNDS):
        g = tf.Graph()
        with g.as_default():
            v = tf.get_variable("v", initializer=1., use_resource=use_resource)
            bump = tf.assign_add(v, 10.)
            with compat.Session(graph=g, backend=backend) as s:
                s.run(v.initializer)
                if first is None:
                    assert s.run([v, bump.op])[0] in (1., 11.)
                    assert s.run([v, bump.op])[0] in (11., 21.)
                else:
                    assert s.run([v, bump.op])[0] == first
                    assert s.run([v, bump.op])[0] == first + 10.
                assert s.run(v) == 21.


def test_reads_ordered_after_a_write_keep_that_order(backend):
    """A read that depends on the update (control_dependencies) sees the new value."""
    g = tf.Graph()
    with g.as_default():
        v = tf.get_variable("v", initializer=1.)
        bump = tf.assign_add(v, 10.)
        with tf.control_dependencies([bump]):
            after = tf.identity(v.read_value())
        with compat.Session(graph=g, backend=backend) as s:
            s.run(v.initializer)
            assert s.run(after) == 11.


def test_ordering_edges_do_not_cycle_through_tf1_loops(backend):
    """A run with a loop (lowered to TF1 control flow, back edges included), an early
    read and an update builds and runs; the early read sees the old value. (Reads inside
    the loop race with an update that nothing orders; with a loop in the run, the
    Session's own order of the early read is not stable either: asserted on eager.)"""
    g = tf.Graph()
    with g.as_default():
        v = tf.get_variable("v", initializer=2.)
        total = tf.while_loop(lambda i, acc: i < 3, lambda i, acc: (i + 1, acc + v),
                              [tf.constant(0), tf.constant(0.)])[1]
        bump = tf.assign_add(v, 1.)
        with compat.Session(graph=g, backend=backend) as s:
            s.run(v.initializer)
            early, looped, _ = s.run([v, total, bump.op])
            assert looped in (6., 9.) and early in (2., 3.)
            if backend == "eager":
                assert early == 2.
            assert s.run(v) == 3.
