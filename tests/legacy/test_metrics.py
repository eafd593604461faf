"""Metric functions against hand-computed cases."""

import math

import numpy as np
import pytest

from legacy import metrics


def test_rmse_clips_to_rating_range():
    assert metrics.rmse([6.0, 0.0], [5.0, 1.0]) == 0.0
    assert metrics.rmse([3.0, 4.0], [4.0, 4.0]) == pytest.approx(math.sqrt(0.5))
    with pytest.raises(ValueError, match="shape mismatch"):
        metrics.rmse([1.0], [1.0, 2.0])


def test_user_auc_hand_computed():
    scores = np.array([0.9, 0.8, 0.3, 0.5, 0.1])
    # item 0 is seen (excluded); positives {1, 2}; negatives {3, 4}
    # pairs: (1,3) ok (1,4) ok (2,3) wrong (2,4) ok -> 3/4
    assert metrics.user_auc(scores, [1, 2], excluded=[0]) == pytest.approx(0.75)
    assert metrics.user_auc(np.zeros(4), [0], []) == pytest.approx(0.5)  # ties count half
    assert math.isnan(metrics.user_auc(scores, [], []))


def test_recall_and_ndcg_hand_computed():
    top = [5, 3, 9, 1]
    assert metrics.recall_at_k(top, [3, 1, 7], k=4) == pytest.approx(2 / 3)
    assert metrics.recall_at_k(top, [3], k=2) == 1.0  # divided by min(k, #pos)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert metrics.ndcg_at_k(top, [3, 1, 7], k=4) == pytest.approx(dcg / ideal)


def test_ranking_report_excludes_training_items():
    train = [np.array([0]), np.array([], np.int64)]
    test = [np.array([1]), np.array([2])]

    def score(users):
        return np.tile(np.array([10.0, 5.0, 1.0, 0.0]), (len(users), 1))

    report = metrics.ranking_report(score, train, test, k=1)
    # user 0: item 0 excluded -> top-1 is item 1 (hit); user 1: top-1 is item 0 (miss)
    assert report["recall_at_1"] == pytest.approx(0.5)
    assert report["users"] == 2
    assert report["auc"] == pytest.approx((1.0 + 1 / 3) / 2)
