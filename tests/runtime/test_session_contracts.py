"""The Session's edge contracts, case by case against TF's own v1 Session.

Each case runs the same TF1 program, built through ``compat.v1``, on a raw
``tf.compat.v1.Session`` with TF 1.x's default variable (a ref variable) and on
``compat.Session`` on each backend, with the shim's default variable (a resource
variable, fed with TF1's meaning) and with a ref variable; the outcome (the values, or
the error class) must be the same. The classes of cases: callables (``make_callable``),
run arguments, the closed session, feeds (variables and other non-placeholder tensors
as feed keys, bad keys and values), fetches, and partial runs.
"""

import numpy as np
import pytest
import tensorflow as tf2

import compat
import compat.v1 as tf


def _build(use_resource):
    """The program every case runs: a default variable `v` (ref or resource, per
    `use_resource`), an explicit resource variable, a placeholder, an intermediate
    tensor, updates."""
    p = tf.placeholder(tf.float32, [2], name="p")
    v = tf.get_variable("v", initializer=[1., 2.], use_resource=use_resource)
    r = tf.get_variable("r", initializer=[3., 4.], use_resource=True)
    mid = tf.multiply(p, 3., name="mid")
    return {
        "p": p, "v": v, "r": r, "mid": mid,
        "v2": v * 2., "r2": r * 2., "out": mid + v,
        "bump": tf.assign_add(v, [1., 1.]),
        "bump_r": tf.assign_add(r, [1., 1.]),
        "init": tf.global_variables_initializer(),
        "const": tf.constant(5., name="const"),
    }


def _fails(fn):
    try:
        fn()
    except tf.errors.OpError as e:
        return type(e).__name__
    return None


def _closed(sess, h):
    sess.close()
    return sess


# name -> fn(sess, h): each returns a value or raises
CASES = {
    # make_callable
    "callable/extra positional args without feed_list":
        lambda s, h: s.make_callable(h["const"])(1, 2),
    "callable/extra positional args with feed_list are ignored":
        lambda s, h: s.make_callable(h["mid"], [h["p"]])([1., 2.], "ignored"),
    "callable/too few feeds": lambda s, h: s.make_callable(h["mid"], [h["p"]])(),
    "callable/unknown keyword": lambda s, h: s.make_callable(h["const"])(foo=1),
    "callable/keywords go to run with feed_list":
        lambda s, h: s.make_callable(h["mid"], [h["p"]])([1., 1.], options=None),
    "callable/feed_list not a list": lambda s, h: s.make_callable(h["mid"], h["p"]),
    "callable/bad fetch": lambda s, h: s.make_callable(17),
    "callable/accept_options with a RunOptions":
        lambda s, h: s.make_callable(h["const"], accept_options=True)(
            options=tf.RunOptions(), run_metadata=tf.RunMetadata()),
    "callable/accept_options with a string":
        lambda s, h: s.make_callable(h["const"], accept_options=True)(options="x"),
    "callable/of an operation": lambda s, h: s.make_callable(h["bump"].op)(),
    "callable/made on a closed session, called":
        lambda s, h: _closed(s, h).make_callable(h["const"])(),
    "callable/made on a closed session": lambda s, h: callable(
        _closed(s, h).make_callable(h["const"])),
    "callable/called after close": lambda s, h: (
        lambda c: (s.close(), c())[1])(s.make_callable(h["const"])),
    "callable/with feed_list called after close": lambda s, h: (
        lambda c: (s.close(), c([1., 1.]))[1])(s.make_callable(h["mid"], [h["p"]])),
    # run arguments and the closed session
    "run/options not a proto": lambda s, h: s.run(h["const"], options="not a proto"),
    "run/run_metadata not a proto": lambda s, h: s.run(h["const"], run_metadata=3),
    "run/protos": lambda s, h: s.run(h["const"], options=tf.RunOptions(),
                                     run_metadata=tf.RunMetadata()),
    "run/after close": lambda s, h: _closed(s, h).run(h["const"]),
    "run/list_devices after close": lambda s, h: _closed(s, h).list_devices(),
    "run/close twice": lambda s, h: (s.close(), s.close())[1],
    "run/partial_run_setup after close":
        lambda s, h: _closed(s, h).partial_run_setup([h["mid"]], [h["p"]]),
    # feeds: variables and other non-placeholder tensors
    "feed/variable replaces every reader": lambda s, h: s.run(
        [h["v2"], h["out"], h["v"] + 1.], {h["v"]: [5., 6.], h["p"]: [0., 0.]}),
    "feed/variable fetched": lambda s, h: s.run(h["v"], {h["v"]: [5., 6.]}),
    "feed/variable then unfed run": lambda s, h: (
        s.run(h["v2"], {h["v"]: [5., 6.]}), s.run(h["v2"]))[1],
    "feed/variable by name": lambda s, h: s.run(h["v2"], {"v:0": [7., 7.]}),
    "feed/variable into its update": lambda s, h: s.run(h["bump"], {h["v"]: [5., 6.]}),
    "feed/variable into its update, fetched with a read": lambda s, h: s.run(
        [h["v2"], h["bump"]], {h["v"]: [5., 6.]}),
    "feed/variable left unchanged by a failed fed update": lambda s, h: (
        _fails(lambda: s.run(h["bump"], {h["v"]: [5., 6.]})), s.run(h["v"]))[1],
    "feed/resource variable (TF1: only its own read)": lambda s, h: s.run(
        [h["r"], h["r2"]], {h["r"]: [5., 6.]}),
    "feed/intermediate tensor": lambda s, h: s.run(h["out"], {h["mid"]: [1., 1.]}),
    "feed/intermediate and its input": lambda s, h: s.run(
        [h["out"], h["mid"]], {h["mid"]: [1., 1.], h["p"]: [9., 9.]}),
    "feed/constant": lambda s, h: s.run(h["const"] * 2., {h["const"]: 1.}),
    "feed/wrong shape": lambda s, h: s.run(h["mid"], {h["p"]: [1., 2., 3.]}),
    "feed/wrong dtype": lambda s, h: s.run(h["mid"], {h["p"]: ["a", "b"]}),
    "feed/tensor value": lambda s, h: s.run(h["mid"], {h["p"]: h["const"]}),
    "feed/unknown name": lambda s, h: s.run(h["mid"], {"nope:0": [1., 1.]}),
    "feed/operation as key": lambda s, h: s.run(h["const"], {h["bump"].op: 1.}),
    "feed/variable wrong shape": lambda s, h: s.run(h["v2"], {h["v"]: [1., 2., 3.]}),
    "feed/variable update unchanged by fed run": lambda s, h: (
        s.run(h["out"], {h["v"]: [0., 0.], h["p"]: [1., 1.]}), s.run(h["v"]))[1],
    # fetches
    "fetch/None": lambda s, h: s.run(None),
    "fetch/int": lambda s, h: s.run(3),
    "fetch/unknown name": lambda s, h: s.run("nope:0"),
    "fetch/nested structure": lambda s, h: s.run(
        {"a": [h["const"], (h["v"], h["r"])], "b": h["const"].op}),
    "fetch/unfed placeholder": lambda s, h: s.run(h["mid"]),
    # partial runs
    "partial/nothing left to fetch": lambda s, h: (
        lambda hd: (s.partial_run(hd, h["mid"], {h["p"]: [1., 1.]}),
                    s.partial_run(hd, []))[1])(s.partial_run_setup([h["mid"]], [h["p"]])),
    "partial/fetch twice": lambda s, h: (
        lambda hd: (s.partial_run(hd, h["mid"], {h["p"]: [1., 1.]}),
                    s.partial_run(hd, h["mid"]))[1])(
        s.partial_run_setup([h["mid"], h["const"]], [h["p"]])),
}


def _outcome(fn, sess, h):
    try:
        value = fn(sess, h)
    except Exception as e:  # the class is the contract; messages differ in detail
        return ("error", type(e).__name__)
    return ("value", value)


def _run_cases(make_session, use_resource):
    outcomes = {}
    for name, fn in CASES.items():
        g = tf.Graph()
        with g.as_default():
            h = _build(use_resource)
        sess = make_session(g)
        sess.run(h["init"])
        outcomes[name] = _outcome(fn, sess, h)
        sess.close()
    return outcomes


@pytest.fixture(scope="module")
def raw_outcomes():
    """TF's own v1 Session on the same programs (before the eager backend's test forbids
    v1 Sessions)."""
    return _run_cases(lambda g: tf2.compat.v1.Session(graph=g), use_resource=False)


def _assert_same(a, b, where):
    assert a[0] == b[0], (where, a, b)
    if a[0] == "error":
        assert a[1] == b[1], where
        return
    flat_a = tf2.nest.flatten(a[1])
    flat_b = tf2.nest.flatten(b[1])
    assert len(flat_a) == len(flat_b), where
    for x, y in zip(flat_a, flat_b):
        if x is None or isinstance(x, (bool, str)):
            assert x == y, where
        else:
            np.testing.assert_array_equal(np.asarray(y), np.asarray(x), err_msg=where)


@pytest.mark.parametrize("use_resource", [None, False], ids=["default", "ref"])
def test_session_contracts_equal_tf_v1_sessions(raw_outcomes, backend, use_resource):
    got = _run_cases(lambda g: compat.Session(graph=g, backend=backend), use_resource)
    assert set(got) == set(raw_outcomes)
    for name in CASES:
        _assert_same(raw_outcomes[name], got[name], f"{name} ({backend})")


def test_the_cases_cover_values_and_errors(raw_outcomes):
    """The table exercises both outcomes (a guard against cases that all fail early)."""
    kinds = [kind for kind, _ in raw_outcomes.values()]
    assert kinds.count("value") >= 15 and kinds.count("error") >= 15
    assert raw_outcomes["feed/variable replaces every reader"][0] == "value"
    np.testing.assert_array_equal(
        raw_outcomes["feed/variable replaces every reader"][1][0], [10., 12.])
