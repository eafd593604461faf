"""Session lifecycle, default session, per-session state, resources, on every backend."""

import threading

import numpy as np
import pytest
import tensorflow as tf2

import compat
import compat.v1 as tf


def test_with_block_closes_and_sets_defaults(graph, backend):
    c = tf.constant(3.0)
    with compat.Session(backend=backend) as sess:
        assert tf.get_default_session() is sess
        assert tf.get_default_graph() is graph
        assert c.eval() == 3.0
        assert (c * 2).eval() == 6.0
    assert tf.get_default_session() is None
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(c)


def test_run_after_close_and_double_close(graph, backend):
    c = tf.constant(1)
    sess = compat.Session(backend=backend)
    sess.close()
    sess.close()
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session"):
        sess.run(c)


def test_reentry_is_an_error(graph, backend):
    sess = compat.Session(backend=backend)
    with sess:
        with pytest.raises(RuntimeError, match="not re-entrant"):
            sess.__enter__()


def test_as_default_eval_and_operation_run(graph, backend):
    v = tf.Variable(1.0, name="v")
    bump = v.assign_add(2.0)
    sess = compat.Session(backend=backend)
    with sess.as_default():
        v.initializer.run()
        bump.op.run()
        assert v.eval() == 3.0
        assert (bump + 0.0).eval(feed_dict={}) == 5.0
    sess.close()


def test_eval_with_session_of_other_graph_is_value_error(backend):
    g1, g2 = tf.Graph(), tf.Graph()
    with g1.as_default():
        c = tf.constant(1.0)
    with g2.as_default():
        tf.constant(2.0)
    sess = compat.Session(graph=g2, backend=backend)
    with sess.as_default():
        with pytest.raises(ValueError):
            c.eval()


def test_eval_without_default_session(graph):
    c = tf.constant(1.0)
    with pytest.raises(ValueError, match="default session"):
        c.eval()


def test_interactive_session(backend):
    c = tf.constant(2.0)
    sess = tf.InteractiveSession(backend=backend)
    try:
        assert tf.get_default_session() is sess
        assert (c * 3).eval() == 6.0
    finally:
        sess.close()
    assert tf.get_default_session() is None


def test_per_session_variable_state(graph, backend):
    v = tf.Variable(0.0, name="counter")
    inc = v.assign_add(1.0)
    a = compat.Session(backend=backend)
    b = compat.Session(backend=backend)
    a.run(v.initializer)
    b.run(v.initializer)
    for _ in range(3):
        a.run(inc)
    b.run(inc)
    assert a.run(v) == 3.0
    assert b.run(v) == 1.0


def test_uninitialized_variable_is_failed_precondition(graph, backend):
    v = tf.get_variable("never_init", [2], initializer=tf.zeros_initializer())
    w = tf.get_variable("init_me", [2], initializer=tf.ones_initializer())
    sess = compat.Session(backend=backend)
    with pytest.raises(tf.errors.FailedPreconditionError):
        sess.run(v + 1.0)
    sess.run(w.initializer)
    names = sess.run(tf.report_uninitialized_variables())
    assert [n.decode() for n in names] == ["never_init"]
    assert not sess.run(tf.is_variable_initialized(v))
    assert sess.run(tf.is_variable_initialized(w))


def test_graph_extended_between_runs(graph, backend):
    a = tf.constant(2.0)
    sess = compat.Session(backend=backend)
    assert sess.run(a) == 2.0
    v = tf.Variable(5.0)
    b = a * v
    sess.run(v.initializer)
    assert sess.run(b) == 10.0


def test_failed_run_leaves_variables_unchanged(graph, backend):
    v = tf.Variable([1.0, 2.0], name="v")
    ids = tf.placeholder(tf.int32, [None])
    loss = tf.reduce_sum(tf.gather(v, ids))
    train = tf.train.GradientDescentOptimizer(1.0).minimize(loss)
    sess = compat.Session(backend=backend)
    sess.run(v.initializer)
    with pytest.raises(tf.errors.InvalidArgumentError):
        sess.run(train, {ids: [5]})
    with pytest.raises(ValueError):
        sess.run(train, {ids: [[0]]})
    np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])
    sess.run(train, {ids: [0]})
    np.testing.assert_array_equal(sess.run(v), [0.0, 2.0])


def _failing_runs():
    """(fetch, feed, name of the failing op) for kernel errors on the feed paths."""
    x = tf.placeholder(tf.float32, [None], name="x")
    idx = tf.placeholder(tf.int32, [], name="idx")
    text = tf.placeholder(tf.string, [], name="text")
    yield tf.gather(x, idx, name="pick"), {x: [1.0], idx: 5}, "pick"
    yield tf.string_to_number(text, name="to_num"), {text: b"abc"}, "to_num"
    yield tf.check_numerics(tf.log(x), "bad log", name="chk"), {x: [-1.0]}, "chk"
    it = tf.data.make_one_shot_iterator(tf.data.Dataset.range(1))
    nxt = it.get_next(name="next")
    yield nxt, {}, None  # the first run succeeds
    yield nxt, {}, "next"


def test_kernel_errors_name_the_graph_op(graph, backend):
    """A kernel error carries the graph's failing op and node_def, and its message names
    the node and where it was defined, as a v1 Session's does (the eager backend's
    function is an implementation detail: no scope prefix, no function name)."""
    sess = compat.Session(backend=backend)
    errors = []
    for fetch, feed, name in list(_failing_runs()):
        if name is None:
            sess.run(fetch, feed)
            continue
        with pytest.raises(tf.errors.OpError) as info:
            sess.run(fetch, feed)
        e = info.value
        errors.append(type(e))
        assert e.op is graph.get_operation_by_name(name)
        assert e.node_def.name == name
        assert f"{{{{node {name}}}}}" in e.message or f"[[{name}]]" in e.message
        assert f"Detected at node '{name}' defined at" in e.message
        assert __file__.rsplit("/", 1)[-1] in e.message
        assert "s/" + name not in e.message and "__inference" not in e.message
    assert errors == [tf.errors.InvalidArgumentError] * 3 + [tf.errors.OutOfRangeError]


@pytest.mark.parity
def test_kernel_error_messages_equal_the_session_s():
    """Class, op and whole message of each kernel error: eager backend == raw v1 Session."""
    seen = {}
    for runtime in ("raw", "eager"):
        graph = tf.Graph()
        with graph.as_default():
            runs = list(_failing_runs())
        sess = (tf2.compat.v1.Session(graph=graph) if runtime == "raw"
                else compat.Session(graph=graph, backend="eager"))
        for i, (fetch, feed, name) in enumerate(runs):
            try:
                sess.run(fetch, feed)
            except tf.errors.OpError as e:
                seen.setdefault(i, []).append((type(e), e.op.name, e.message))
    assert len(seen) == 4
    for raw, eager in seen.values():
        assert raw == eager


def test_one_shot_iterator_is_shared_across_signatures(graph, backend):
    ds = tf.data.Dataset.from_tensor_slices(np.arange(10)).batch(2)
    nxt = tf.data.make_one_shot_iterator(ds).get_next()
    other = tf.constant(1)
    sess = compat.Session(backend=backend)
    assert list(sess.run(nxt)) == [0, 1]
    assert list(sess.run([nxt, other])[0]) == [2, 3]
    assert list(sess.run(nxt)) == [4, 5]
    assert list(sess.run({"n": nxt})["n"]) == [6, 7]
    list(sess.run(nxt))
    with pytest.raises(tf.errors.OutOfRangeError):
        sess.run(nxt)


def test_initializable_iterator_and_per_session_streams(graph, backend):
    data = tf.placeholder(tf.int64, [None])
    it = tf.data.Dataset.from_tensor_slices(data).map(lambda x: x * 2) \
        .make_initializable_iterator()
    nxt = it.get_next()
    a = compat.Session(backend=backend)
    b = compat.Session(backend=backend)
    a.run(it.initializer, {data: [1, 2, 3]})
    b.run(it.initializer, {data: [10, 20]})
    assert a.run(nxt) == 2
    assert b.run(nxt) == 20
    assert a.run(nxt) == 4
    a.run(it.initializer, {data: [7]})
    assert a.run(nxt) == 14
    assert b.run(nxt) == 40


def test_lookup_table(graph, backend):
    keys = tf.constant(["a", "b", "c"])
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(keys, tf.constant([1, 2, 3], tf.int64)), -1)
    query = tf.placeholder(tf.string, [None])
    out = table.lookup(query)
    sess = compat.Session(backend=backend)
    sess.run(tf.tables_initializer())
    np.testing.assert_array_equal(sess.run(out, {query: ["c", "a", "z"]}), [3, 1, -1])


def test_seeded_random_ops_match_graph_backend():
    def draws(name):
        g = tf.Graph()
        with g.as_default():
            tf.set_random_seed(7)
            r = tf.random_normal([4])
            sess = compat.Session(backend=name)
            return [sess.run(r) for _ in range(3)]

    ref, got = draws("graph"), draws("eager")
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)


def test_concurrent_runs_from_threads(graph, backend):
    x = tf.placeholder(tf.float32, [None])
    y = tf.reduce_sum(x * 2.0)
    sess = compat.Session(backend=backend)
    errors, results = [], {}

    def work(i):
        try:
            for k in range(20):
                results[(i, k)] = sess.run(y, {x: np.full(i + 1, k, np.float32)})
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for (i, k), value in results.items():
        assert value == 2.0 * k * (i + 1)


@pytest.mark.parametrize("backend,other", [("graph", "eager"), ("eager", "graph"),
                                           ("eager", "eager")])
def test_saver_round_trip_across_backends(tmp_path, backend, other):
    def build():
        g = tf.Graph()
        with g.as_default():
            with tf.variable_scope("m"):
                w = tf.get_variable("w", [3], initializer=tf.random_uniform_initializer())
            step = tf.train.get_or_create_global_step()
            saver = tf.train.Saver()
        return g, w, step, saver

    g, w, step, saver = build()
    with compat.Session(graph=g, backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step.assign(42))
        written = sess.run(w)
        path = saver.save(sess, str(tmp_path / "model"), global_step=step)
    assert path.endswith("model-42")
    assert tf.train.latest_checkpoint(str(tmp_path)) == path
    g2, w2, step2, saver2 = build()
    with compat.Session(graph=g2, backend=other) as sess:
        saver2.restore(sess, path)
        np.testing.assert_array_equal(sess.run(w2), written)
        assert sess.run(step2) == 42


def test_summary_file_writer(tmp_path, graph, backend):
    x = tf.placeholder(tf.float32, [])
    summary = tf.summary.scalar("x", x)
    merged = tf.summary.merge_all()
    writer = tf.summary.FileWriter(str(tmp_path), graph)
    with compat.Session(backend=backend) as sess:
        for step in range(3):
            writer.add_summary(sess.run(merged, {x: float(step)}), step)
    writer.close()
    events = list(tmp_path.iterdir())
    assert events and events[0].stat().st_size > 0
    assert summary is not None


def test_import_keeps_process_eager():
    assert tf2.executing_eagerly()
    x = tf.placeholder(tf.float32, [None], name="top_level_x")
    y = x * 2.0 + 1.0
    assert tf2.executing_eagerly()
    assert tf2.reduce_sum(tf2.constant([1.0, 2.0])).numpy() == 3.0
    assert y.graph is tf.get_default_graph()

    @tf2.function
    def f(v):
        return v * 2

    assert f(tf2.constant(2.0)).numpy() == 4.0
