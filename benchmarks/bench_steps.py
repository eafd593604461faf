"""Step-time ratios in one process: shim (graph, eager) vs a raw v1 Session vs native TF2.

    python -m benchmarks.bench_steps [--rounds 400] [--steps 1]

Same graph for the raw Session and the shim; native TF2 is the same FM written with
tf.Variable + tf.function + GradientTape + Keras Adam, the ported BPR-FM
(``ported.bpr_fm``), and for the tiny step (per-``run`` overhead) the same three ops in a
tf.function. Each ratio is measured on its own pair of variants, in phases where
only that pair runs, interleaved round by round (order alternating; by default a round is
one step of each variant, so paired samples share the machine's load); the table reports
the median of per-round paired ratios with their interquartile range.
"""

import argparse
import functools
import random
import statistics
import time

import numpy as np
import tensorflow as tf

import compat
from legacy import data as data_lib
from legacy.bpr_fm import BPRFM
from legacy.fm import FactorizationMachine


def _fm_runners(features, batch):
    rng = np.random.RandomState(0)
    users = rng.randint(0, features.n_users, batch)
    items = rng.randint(0, features.n_items, batch)
    ids, vals = features.encode(users, items)
    ratings = rng.randint(1, 6, batch).astype(np.float32)
    runners, trace = {}, {}
    for name in ("graph", "eager"):
        with compat.use_backend(name):
            fm = FactorizationMachine(features.n_features, features.n_fields, k=32)
        feed = {fm.feat_ids: ids, fm.feat_vals: vals, fm.ratings: ratings}
        fetches = [fm.train_op, fm.loss]
        t = time.perf_counter()
        fm.sess.run(fetches, feed)
        trace[name] = time.perf_counter() - t
        runners[f"shim-{name}"] = (lambda s=fm.sess, f=fetches, d=feed: s.run(f, d))
        if name == "graph":
            raw = tf.compat.v1.Session(graph=fm.graph)
            raw.run(fm.init)
            runners["raw-v1"] = (lambda s=raw, f=fetches, d=feed: s.run(f, d))
    runners["native-tf2"] = _native_fm(features, ids, vals, ratings)
    return runners, trace


def _tiny_runners():
    """Per-``run`` overhead: a tiny step (one fed 4-element vector, an assign_add whose
    result is fetched with the global step, as TF1 training loops fetch them)."""
    import compat.v1 as v1

    runners, trace = {}, {}
    data = np.ones(4, np.float32)
    for name in ("graph", "eager"):
        graph = v1.Graph()
        with graph.as_default():
            step = v1.train.get_or_create_global_step()
            x = v1.placeholder(tf.float32, [None], name="x")
            v = v1.get_variable("v", [], initializer=v1.zeros_initializer())
            out = v1.reduce_sum(x * 2.0 + v)
            bump = v1.assign_add(v, 1.0)
            init = v1.global_variables_initializer()
        fetches, feed = [bump, out, step], {x: data}
        sessions = {f"shim-{name}": compat.Session(graph=graph, backend=name)}
        if name == "graph":
            sessions["raw-v1"] = tf.compat.v1.Session(graph=graph)
        for label, sess in sessions.items():
            sess.run(init)
            t = time.perf_counter()
            sess.run(fetches, feed)
            if label.startswith("shim"):
                trace[name] = time.perf_counter() - t
            runners[label] = functools.partial(sess.run, fetches, feed)
    native_v = tf.Variable(0.0)
    native_step = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def native(x):
        bumped = native_v.assign_add(1.0)
        return bumped, tf.reduce_sum(x * 2.0 + bumped), native_step.read_value()

    arg = tf.constant(data)
    native(arg)
    runners["native-tf2"] = lambda: [t.numpy() for t in native(arg)]
    return runners, trace


def _native_fm(features, ids, vals, ratings, k=32, l2=0.1):
    bias = tf.Variable(3.5)
    weights = tf.Variable(tf.zeros([features.n_features]))
    emb = tf.Variable(tf.random.normal([features.n_features, k], stddev=0.01))
    opt = tf.keras.optimizers.Adam(0.002)
    variables = [bias, weights, emb]

    @tf.function
    def step(ids, vals, ratings):
        with tf.GradientTape() as tape:
            w = tf.gather(weights, ids)
            v = tf.gather(emb, ids) * vals[..., None]
            pred = bias + tf.reduce_sum(w * vals, 1) + 0.5 * tf.reduce_sum(
                tf.square(tf.reduce_sum(v, 1)) - tf.reduce_sum(tf.square(v), 1), 1)
            mse = tf.reduce_mean(tf.square(pred - ratings))
            loss = mse + l2 * (tf.reduce_sum(tf.square(w)) + tf.reduce_sum(tf.square(
                tf.gather(emb, ids)))) / tf.cast(tf.shape(ids)[0], tf.float32)
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    args = (tf.constant(ids), tf.constant(vals), tf.constant(ratings))
    step(*args)
    return lambda: step(*args).numpy()


def _bpr_runners(data, features, batch, mode, rows):
    """BPR-FM through its tf.data initializable iterator. mode 'step': training steps
    (the iterator holds enough batches for the whole measurement: raw-v1 is in two
    pairs); 'init': iterator re-initialization, feeding three int32 arrays of `rows`
    elements."""
    rng = np.random.RandomState(0)
    users = rng.randint(0, features.n_users, rows).astype(np.int32)
    pos = rng.randint(0, features.n_items, rows).astype(np.int32)
    neg = rng.randint(0, features.n_items, rows).astype(np.int32)
    runners, trace = {}, {}
    for name in ("graph", "eager"):
        with compat.use_backend(name):
            bpr = BPRFM(features, k=64, batch_size=batch)
        feed = {bpr.users_in: users, bpr.pos_in: pos, bpr.neg_in: neg}
        init = bpr.iterator.initializer
        fetches = [bpr.train_op, bpr.bpr_loss]
        sessions = {f"shim-{name}": bpr.sess}
        if name == "graph":
            raw = tf.compat.v1.Session(graph=bpr.graph)
            raw.run(bpr.init)
            sessions["raw-v1"] = raw
        for label, sess in sessions.items():
            if mode == "step":
                sess.run(init, feed)
                runner = functools.partial(sess.run, fetches)
            else:
                runner = functools.partial(sess.run, init, feed)
            t = time.perf_counter()
            runner()
            if label.startswith("shim"):
                trace[name] = time.perf_counter() - t
            runners[label] = runner
    if mode == "step":
        runners["native-tf2"] = _native_bpr(features, batch, users, pos, neg)
    return runners, trace


def _native_bpr(features, batch, users, pos, neg):
    """The ported (native TF2) BPR-FM's training step on one fixed batch: tf.function +
    GradientTape + Keras Adam, NumPy batches instead of the TF1 iterator."""
    from ported.bpr_fm import BPRFM as NativeBPRFM

    model = NativeBPRFM(features, k=64, batch_size=batch)
    args = [tf.constant(a[:batch]) for a in (users, pos, neg)]
    model._step(*args)  # trace
    return lambda: model._step(*args).numpy()


# Each ratio comes from its own interleaved pair, and each pair is measured in phases of
# its own (only its two variants run in a phase). Measured here: a step's time depends on
# which runtime the process ran most (the v1 Session and the eager runtime have their own
# thread pools and share the cores). With the shim-graph pair's two Session steps in the
# same round, the BPR-FM eager step measured 1.08 of raw; with the eager pair alone, 1.02;
# with two eager variants per raw step, 0.91 (same step, same process, same hour). Phases
# give both variants of a pair the same share of the process.
PAIRS = (("shim-graph", "raw-v1"), ("shim-eager", "raw-v1"), ("shim-eager", "native-tf2"))
PHASE, WARMUP = 25, 2  # rounds per phase of a pair; untimed rounds opening a phase


def measure(runners, rounds, steps, pairs=PAIRS, phase=PHASE, warmup=WARMUP):
    """{(a, b): ([a's step times], [b's step times])}: `rounds` timed rounds per pair.
    A pair is measured in phases of `phase` rounds in which only its two variants run,
    a then b or b then a (alternating, so paired samples share the machine's load); the
    first `warmup` rounds of a phase are not timed. Phases of the pairs alternate (in a
    seeded random order) until every pair has its rounds."""
    pairs = [p for p in pairs if p[0] in runners and p[1] in runners]
    rng = random.Random(0)
    samples = {p: ([], []) for p in pairs}
    for fn in runners.values():
        for _ in range(3):
            fn()
    while any(len(samples[p][0]) < rounds for p in pairs):
        for pair in rng.sample(pairs, len(pairs)):
            todo = min(phase, rounds - len(samples[pair][0]))
            for r in range(-warmup if todo else 0, todo):
                order = (0, 1) if r % 2 == 0 else (1, 0)
                times = [0.0, 0.0]
                for i in order:
                    fn = runners[pair[i]]
                    t = time.perf_counter()
                    for _ in range(steps):
                        fn()
                    times[i] = (time.perf_counter() - t) / steps
                if r >= 0:
                    samples[pair][0].append(times[0])
                    samples[pair][1].append(times[1])
    return samples


def _batches_needed(rounds, steps, phase=PHASE, warmup=WARMUP):
    """Steps one variant runs in :func:`measure` when it is in two pairs (raw-v1 and
    shim-eager are), with margin: the BPR-FM iterator must not run out."""
    phases = -(-rounds // phase)
    return 2 * (rounds + warmup * phases) * steps + 50


def paired(samples, name, base):
    """Median and quartiles of per-round ratios name / base (each round pairs the two
    variants under the same machine load, which removes most drift between rounds)."""
    a, b = samples[(name, base)]
    ratios = sorted(x / y for x, y in zip(a, b))
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    return statistics.median(ratios), q[0], q[2]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--case", action="append", metavar="TEXT",
                        help="run only the cases whose label contains TEXT (repeatable)")
    args = parser.parse_args(argv)
    data = data_lib.synthetic()
    features = data_lib.FeatureSpace(data)
    rows = []
    cases = [("Tiny step (per-run overhead), fetching an assign's result", _tiny_runners),
             ("FM step, batch 1024", lambda: _fm_runners(features, 1024)),
             ("FM step, batch 8192", lambda: _fm_runners(features, 8192)),
             ("BPR-FM step, batch 1024", lambda: _bpr_runners(
                 data, features, 1024, "step", 1024 * _batches_needed(args.rounds, args.steps))),
             ("BPR-FM iterator init, 3 x 4096 x 1024 int32 fed", lambda: _bpr_runners(
                 data, features, 1024, "init", 4096 * 1024))]
    if args.case:
        cases = [c for c in cases if any(t.lower() in c[0].lower() for t in args.case)]
        if not cases:
            parser.error(f"no case matches {args.case}")
    for label, build in cases:
        runners, trace = build()
        samples = measure(runners, args.rounds, args.steps)
        raw = statistics.median(samples[("shim-eager", "raw-v1")][1])
        native = paired(samples, "shim-eager", "native-tf2") \
            if ("shim-eager", "native-tf2") in samples else None
        rows.append((label, raw * 1e3, paired(samples, "shim-graph", "raw-v1"),
                     paired(samples, "shim-eager", "raw-v1"), native,
                     trace["graph"] * 1e3, trace["eager"] * 1e3))

    def cell(r):
        return f"{r[0]:.3f} ({r[1]:.2f}-{r[2]:.2f})"

    print(f"Median of {args.rounds} rounds of {args.steps} steps per variant of each pair "
          "(interquartile range).")
    print("| case | raw v1 step (ms) | shim-graph / raw | shim-eager / raw | "
          "shim-eager / native TF2 | first call graph (ms) | first call eager (ms) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, raw_ms, g, e, n, tg, te in rows:
        n_cell = cell(n) if n is not None else "n/a"
        print(f"| {label} | {raw_ms:.2f} | {cell(g)} | {cell(e)} | {n_cell} | {tg:.0f} | "
              f"{te:.0f} |")


if __name__ == "__main__":
    main()
