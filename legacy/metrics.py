"""Evaluation metrics (the protocol of DESIGN.md's comparison table).

Ranking: every item the user did not rate in training is a candidate; positives are
the user's test items. AUC is averaged over users; Recall@K = hits / min(K, #pos);
NDCG@K uses binary relevance. RMSE clips predictions to [1, 5].
"""

import numpy as np

__all__ = ["rmse", "user_auc", "recall_at_k", "ndcg_at_k", "ranking_report"]


def rmse(predictions, ratings, low=1.0, high=5.0):
    predictions = np.clip(np.asarray(predictions, np.float64), low, high)
    ratings = np.asarray(ratings, np.float64)
    if predictions.shape != ratings.shape:
        raise ValueError(f"shape mismatch: {predictions.shape} vs {ratings.shape}")
    if ratings.size == 0:
        raise ValueError("rmse of an empty set")
    return float(np.sqrt(np.mean((predictions - ratings) ** 2)))


def user_auc(scores, positives, excluded=()):
    """AUC of one user's `scores` [n_items]: positives vs every other non-excluded item.

    Ties count one half.
    """
    scores = np.asarray(scores, np.float64)
    mask = np.ones(len(scores), bool)
    mask[np.asarray(excluded, np.int64)] = False
    pos = np.zeros(len(scores), bool)
    pos[np.asarray(positives, np.int64)] = True
    pos &= mask
    neg = mask & ~pos
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    cand = scores[mask]
    ranks = _average_ranks(cand)
    pos_ranks = ranks[pos[mask]]
    return float((pos_ranks.sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(x):
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), np.float64)
    sx = x[order]
    i = 0
    n = len(x)
    while i < n:
        j = i
        while j + 1 < n and sx[j + 1] == sx[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    return ranks


def recall_at_k(top_items, positives, k=10):
    positives = set(np.asarray(positives).tolist())
    if not positives:
        return float("nan")
    hits = len(set(np.asarray(top_items[:k]).tolist()) & positives)
    return hits / min(k, len(positives))


def ndcg_at_k(top_items, positives, k=10):
    positives = set(np.asarray(positives).tolist())
    if not positives:
        return float("nan")
    gains = [1.0 / np.log2(r + 2) for r, item in enumerate(top_items[:k]) if item in positives]
    ideal = sum(1.0 / np.log2(r + 2) for r in range(min(k, len(positives))))
    return float(sum(gains) / ideal)


def ranking_report(score_fn, train_by_user, test_by_user, k=10, batch=256):
    """AUC, Recall@k, NDCG@k averaged over users with test items.

    `score_fn(users)` returns scores [len(users), n_items].
    """
    users = [u for u, items in enumerate(test_by_user) if len(items)]
    aucs, recalls, ndcgs = [], [], []
    for start in range(0, len(users), batch):
        chunk = users[start:start + batch]
        scores = np.asarray(score_fn(np.array(chunk)), np.float64)
        for row, u in zip(scores, chunk):
            seen = train_by_user[u]
            aucs.append(user_auc(row, test_by_user[u], seen))
            masked = row.copy()
            masked[seen] = -np.inf
            top = np.argsort(-masked, kind="stable")[:k]
            recalls.append(recall_at_k(top, test_by_user[u], k))
            ndcgs.append(ndcg_at_k(top, test_by_user[u], k))
    return {"auc": float(np.nanmean(aucs)), f"recall_at_{k}": float(np.nanmean(recalls)),
            f"ndcg_at_{k}": float(np.nanmean(ndcgs)), "users": len(users)}
