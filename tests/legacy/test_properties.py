"""Property tests: the legacy FM, BPR-FM and predictor compute the same numbers on both
backends (forward, gradients, training steps of every TF1 optimizer, checkpoint round trip).
"""

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.profiles import examples

import compat.v1 as tf
from compat.testing import BackendDivergence, Spec, assert_backends_agree
from compat.testing import strategies as cs
from legacy import data as data_lib
from legacy.bpr_fm import BPRFM
from legacy.fm import FactorizationMachine, fm_scores
from legacy.predictor import Predictor
from tests.testing.planted import planted_divergence

OPTIMIZERS = ("GradientDescentOptimizer", "MomentumOptimizer", "AdagradOptimizer",
              "AdamOptimizer", "RMSPropOptimizer", "FtrlOptimizer", "AdadeltaOptimizer",
              "ProximalAdagradOptimizer", "ProximalGradientDescentOptimizer")
N_FEATURES, N_FIELDS = 30, 5

_DATA = data_lib.synthetic(n_users=12, n_items=15, n_ratings=120, seed=3)
_FEATURES = data_lib.FeatureSpace(_DATA)

# Compares both backends explicitly: COMPAT_BACKEND does not change what it runs.
pytestmark = pytest.mark.parity


def fm_graph(optimizer, k=3, lr=0.05):
    """The legacy FM math (fm_scores) trained by any TF1 optimizer."""
    def build():
        ids = tf.placeholder(tf.int32, [None, N_FIELDS], name="feat_ids")
        vals = tf.placeholder(tf.float32, [None, N_FIELDS], name="feat_vals")
        ratings = tf.placeholder(tf.float32, [None], name="ratings")
        init = tf.random_normal_initializer(stddev=0.1, seed=5)
        bias = tf.get_variable("bias", [], initializer=tf.constant_initializer(3.5))
        weights = tf.get_variable("weights", [N_FEATURES], initializer=init)
        embeddings = tf.get_variable("embeddings", [N_FEATURES, k], initializer=init)
        pred, _, _ = fm_scores(ids, vals, bias, weights, embeddings)
        loss = tf.reduce_mean(tf.square(pred - ratings), name="loss")
        opt = getattr(tf.train, optimizer)
        opt = opt(lr, momentum=0.9) if optimizer == "MomentumOptimizer" else opt(lr)
        step = tf.train.get_or_create_global_step()
        return Spec(outputs={"prediction": pred, "loss": loss},
                    train_op=opt.minimize(loss, global_step=step))
    return build


def fm_feeds(steps):
    """Feeds drawn from the graph's placeholders: ids stay inside the tables."""
    graph = tf.Graph()
    with graph.as_default():
        fm_graph("AdamOptimizer")()
    ratings = graph.get_tensor_by_name("ratings:0")
    per_step = cs.feeds([graph.get_tensor_by_name("feat_ids:0"),
                         graph.get_tensor_by_name("feat_vals:0"), ratings],
                        batch_sizes=st.integers(0, 6), float_bound=2.0)
    return st.lists(per_step.map(lambda f: {t.name: v for t, v in f.items()}),
                    min_size=steps + 1, max_size=steps + 1)


def test_feed_strategy_keeps_ids_inside_the_embedding_table():
    @given(fm_feeds(0))
    def check(feeds):
        ids = feeds[0]["feat_ids:0"]
        assert ids.shape[1] == N_FIELDS and (ids.size == 0 or 0 <= ids.min() <= ids.max()
                                             < N_FEATURES)
        assert len({v.shape[0] for v in feeds[0].values()}) == 1  # one batch size
    check()


@given(st.sampled_from(OPTIMIZERS), fm_feeds(steps=3))
def test_fm_every_optimizer_agrees_step_by_step(optimizer, feeds):
    assert_backends_agree(fm_graph(optimizer), feeds, steps=3)


@settings(max_examples=examples(8))
@given(fm_feeds(steps=2))
def test_fm_class_trains_identically_and_checkpoints_round_trip(feeds):
    """The legacy class itself (its own graph, Session and Saver)."""
    def build():
        fm = FactorizationMachine(N_FEATURES, N_FIELDS, k=4, learning_rate=0.01, seed=9)
        fm.sess.close()
        return Spec(outputs={"prediction": fm.prediction, "loss": fm.loss},
                    train_op=fm.train_op, init_ops=[fm.init])

    report = assert_backends_agree(build, feeds, steps=2, round_trip=True)
    assert report.steps == 2


def bpr_build(users, pos, neg, batch, scores=False):
    def build():
        model = BPRFM(_FEATURES, k=4, learning_rate=0.01, batch_size=batch, seed=4)
        model.sess.close()
        # Losses are fetched in the train op's run (as the legacy loop does); scores
        # read the variables the train op writes, so they are compared in their own run.
        outputs = ({"all_scores": model.all_scores} if scores
                   else {"bpr_loss": model.bpr_loss, "loss": model.loss})
        return Spec(
            outputs=outputs,
            train_op=model.train_op,
            init_ops=[model.init, model.iterator.initializer],
            init_feed={"users_in": users, "pos_in": pos, "neg_in": neg})
    return build


@settings(max_examples=examples(10))
@given(st.integers(1, 4).flatmap(lambda batch: st.tuples(
    st.just(batch),
    *[hnp.arrays(np.int32, (3 * batch,), elements=st.integers(0, n - 1))
      for n in (_FEATURES.n_users, _FEATURES.n_items, _FEATURES.n_items)])),
    hnp.arrays(np.int32, (3,), elements=st.integers(0, _FEATURES.n_users - 1)))
def test_bpr_fm_iterator_training_agrees(drawn, score_users):
    batch, users, pos, neg = drawn
    # three iterator batches; variables (weights, embeddings, Adam slots) compared each step
    assert_backends_agree(bpr_build(users, pos, neg, batch), steps=3, joint=True)
    assert_backends_agree(bpr_build(users, pos, neg, batch, scores=True),
                          {"score_users": score_users}, gradients=False)


@settings(max_examples=examples(10))
@given(st.data())
def test_predictor_top_k_agrees(data):
    n_users, n_items, nf = _FEATURES.n_users, _FEATURES.n_items, _FEATURES.n_features
    floats = st.floats(-1, 1, width=32)
    init = {
        "rating/bias": np.float32(data.draw(floats)),
        "rating/weights": data.draw(hnp.arrays(np.float32, (nf,), elements=floats)),
        "rating/embeddings": data.draw(hnp.arrays(np.float32, (nf, 3), elements=floats)),
        "ranking/weights": data.draw(hnp.arrays(np.float32, (nf,), elements=floats)),
        "ranking/embeddings": data.draw(hnp.arrays(np.float32, (nf, 2), elements=floats)),
        "seen": data.draw(hnp.arrays(np.float32, (n_users, n_items),
                                     elements=st.sampled_from([0.0, 1.0]))),
    }
    users = data.draw(st.lists(st.sampled_from(list(_DATA.user_raw)), max_size=4))
    k = data.draw(st.integers(1, n_items + 2))

    def build():
        p = Predictor(_FEATURES, _DATA.user_raw, _DATA.item_raw,
                      np.zeros((n_users, n_items), np.float32), fm_k=3, bpr_k=2)
        p.sess.close()
        return {"item_ids": p.item_ids, "scores": p.scores, "rating": p.rating,
                "ranking": p.ranking}

    assert_backends_agree(build, {"user_ids:0": np.asarray(users, np.int64), "k:0": k},
                          init=init, exact=True)


def test_predictor_unknown_user_fails_on_both_backends():
    def build():
        p = Predictor(_FEATURES, _DATA.user_raw, _DATA.item_raw,
                      np.zeros((_FEATURES.n_users, _FEATURES.n_items), np.float32), 3, 2)
        p.sess.close()
        return {"scores": p.scores}

    report = assert_backends_agree(build, {"user_ids:0": np.array([10 ** 9], np.int64)})
    assert report.errors[0][2] == "InvalidArgumentError"


def test_fm_property_catches_a_planted_difference(monkeypatch):
    """One element of the FM's pairwise term differs on eager: the property fails and
    the message names the op."""
    @settings(phases=(Phase.generate,), derandomize=True)
    @given(fm_feeds(steps=1))
    def prop(feeds):
        assert_backends_agree(fm_graph("AdamOptimizer"), feeds, steps=1)

    with planted_divergence(monkeypatch, lambda n: n.name == "Square"):
        with pytest.raises(BackendDivergence) as info:
            prop()
    assert info.value.op == "Square"
    assert "'Square' (Square)" in str(info.value)
