"""MovieLens loaders, a deterministic MovieLens-like generator, and FM features.

Ids inside a :class:`RatingData` are 0-based and contiguous; ``user_raw`` /
``item_raw`` keep the original ids.
"""

import csv
import dataclasses
import os

import numpy as np

__all__ = ["RatingData", "FeatureSpace", "load_movielens", "load_ratings_csv",
           "synthetic", "load", "sample_negatives"]

AGE_BUCKETS = (18, 25, 35, 45, 50, 56)  # MovieLens-1M style buckets; index 0..6
N_GENRES = 19
MAX_GENRES = 6


@dataclasses.dataclass
class RatingData:
    """Explicit ratings with side features. Arrays of (user, item, rating)."""

    name: str
    n_users: int
    n_items: int
    train: np.ndarray   # [N, 3] float64: user, item, rating
    test: np.ndarray    # [M, 3]
    user_age: np.ndarray        # [n_users] int, age bucket 0..len(AGE_BUCKETS)
    user_gender: np.ndarray     # [n_users] int, 0/1 (0 also for unknown)
    user_occupation: np.ndarray  # [n_users] int
    n_occupations: int
    item_genres: np.ndarray     # [n_items, N_GENRES] 0/1
    user_raw: np.ndarray
    item_raw: np.ndarray

    def train_items_by_user(self):
        """List of arrays: the items each user rated in train."""
        return _group(self.train, self.n_users)

    def test_items_by_user(self):
        return _group(self.test, self.n_users)


def _group(rows, n_users):
    users = rows[:, 0].astype(np.int64)
    items = rows[:, 1].astype(np.int64)
    order = np.argsort(users, kind="stable")
    splits = np.searchsorted(users[order], np.arange(n_users + 1))
    return [np.unique(items[order][splits[u]:splits[u + 1]]) for u in range(n_users)]


def _age_bucket(age):
    return int(np.searchsorted(AGE_BUCKETS, age, side="right"))


def _read_rating_lines(path, sep="\t"):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"MovieLens ratings file not found: {path}")
    rows = []
    with open(path, encoding="latin-1") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            parts = line.split(sep)
            if len(parts) != 4:
                raise ValueError(
                    f"{path}:{lineno}: expected 4 fields 'user{sep}item{sep}rating{sep}time', "
                    f"got {len(parts)}: {line[:60]!r}")
            try:
                user, item, rating = int(parts[0]), int(parts[1]), float(parts[2])
                int(parts[3])
            except ValueError:
                raise ValueError(f"{path}:{lineno}: non-numeric field in {line[:60]!r}") from None
            if user < 1 or item < 1:
                raise ValueError(f"{path}:{lineno}: ids are 1-based, got user {user} item {item}")
            if not 0.5 <= rating <= 5:
                raise ValueError(f"{path}:{lineno}: rating {rating} outside [0.5, 5]")
            rows.append((user, item, rating))
    if not rows:
        raise ValueError(f"{path}: no ratings")
    return np.array(rows, dtype=np.float64)


def _read_users(path, n_users):
    age = np.zeros(n_users, np.int64)
    gender = np.zeros(n_users, np.int64)
    occ = np.zeros(n_users, np.int64)
    occupations = {}
    with open(path, encoding="latin-1") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            parts = line.split("|")
            if len(parts) != 5:
                raise ValueError(f"{path}:{lineno}: expected 5 '|'-separated fields")
            try:
                uid, a = int(parts[0]), int(parts[1])
            except ValueError:
                raise ValueError(f"{path}:{lineno}: non-numeric user id or age") from None
            if not 1 <= uid <= n_users:
                raise ValueError(f"{path}:{lineno}: user id {uid} out of range 1..{n_users}")
            age[uid - 1] = _age_bucket(a)
            gender[uid - 1] = 1 if parts[2] == "F" else 0
            occ[uid - 1] = occupations.setdefault(parts[3], len(occupations))
    return age, gender, occ, max(len(occupations), 1)


def _read_items(path, n_items):
    genres = np.zeros((n_items, N_GENRES), np.int64)
    with open(path, encoding="latin-1") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            parts = line.split("|")
            if len(parts) != 5 + N_GENRES:
                raise ValueError(f"{path}:{lineno}: expected {5 + N_GENRES} '|'-separated "
                                 f"fields, got {len(parts)}")
            try:
                iid = int(parts[0])
                flags = [int(x) for x in parts[5:]]
            except ValueError:
                raise ValueError(f"{path}:{lineno}: non-numeric item id or genre flag") from None
            if not 1 <= iid <= n_items:
                raise ValueError(f"{path}:{lineno}: item id {iid} out of range 1..{n_items}")
            genres[iid - 1] = flags
    return genres


def load_movielens(directory, split="u1", seed=0):
    """Loads MovieLens-100K from `directory`: ``{split}.base``/``{split}.test`` if present,
    else ``u.data`` split 80/20 deterministically; ``u.user``/``u.item`` side files."""
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"MovieLens directory not found: {directory}")
    base = os.path.join(directory, f"{split}.base")
    test_path = os.path.join(directory, f"{split}.test")
    if os.path.isfile(base) and os.path.isfile(test_path):
        train, test = _read_rating_lines(base), _read_rating_lines(test_path)
    elif os.path.isfile(os.path.join(directory, "u.data")):
        rows = _read_rating_lines(os.path.join(directory, "u.data"))
        perm = np.random.RandomState(seed).permutation(len(rows))
        cut = int(0.8 * len(rows))
        train, test = rows[perm[:cut]], rows[perm[cut:]]
    elif os.path.isfile(os.path.join(directory, "ratings.csv")):
        return load_ratings_csv(os.path.join(directory, "ratings.csv"), seed=seed)
    else:
        raise FileNotFoundError(
            f"{directory}: no {split}.base/{split}.test, u.data or ratings.csv found")
    users_path, items_path = (os.path.join(directory, n) for n in ("u.user", "u.item"))
    n_users = int(max(train[:, 0].max(), test[:, 0].max()))
    n_items = int(max(train[:, 1].max(), test[:, 1].max()))
    if os.path.isfile(users_path):
        n_users = max(n_users, sum(1 for line in open(users_path, encoding="latin-1")
                                   if line.strip()))
        age, gender, occ, n_occ = _read_users(users_path, n_users)
    else:
        age, gender, occ, n_occ = (np.zeros(n_users, np.int64),) * 3 + (1,)
    if os.path.isfile(items_path):
        n_items = max(n_items, sum(1 for line in open(items_path, encoding="latin-1")
                                   if line.strip()))
        genres = _read_items(items_path, n_items)
    else:
        genres = np.zeros((n_items, N_GENRES), np.int64)
    for name, rows in (("train", train), ("test", test)):
        if rows[:, 0].max() > n_users or rows[:, 1].max() > n_items:
            raise ValueError(f"{directory}: {name} ids exceed the side files' "
                             f"{n_users} users / {n_items} items")
    train[:, :2] -= 1
    test[:, :2] -= 1
    return RatingData(f"movielens:{os.path.basename(os.path.abspath(directory))}/{split}",
                      n_users, n_items, train, test, age, gender, occ, n_occ, genres,
                      np.arange(1, n_users + 1), np.arange(1, n_items + 1))


def load_ratings_csv(path, seed=0, test_fraction=0.2):
    """Loads an ml-latest ``ratings.csv`` (userId,movieId,rating,timestamp); ids are
    remapped to contiguous ranges; the split is per rating, deterministic in `seed`."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"ratings.csv not found: {path}")
    rows = []
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or [h.strip() for h in header[:3]] != ["userId", "movieId", "rating"]:
            raise ValueError(f"{path}:1: expected header 'userId,movieId,rating,timestamp'")
        for lineno, rec in enumerate(reader, 2):
            if len(rec) < 3:
                raise ValueError(f"{path}:{lineno}: expected at least 3 fields")
            try:
                rows.append((int(rec[0]), int(rec[1]), float(rec[2])))
            except ValueError:
                raise ValueError(f"{path}:{lineno}: non-numeric field in {rec!r}") from None
            if not 0.5 <= rows[-1][2] <= 5:
                raise ValueError(f"{path}:{lineno}: rating {rows[-1][2]} outside [0.5, 5]")
    if not rows:
        raise ValueError(f"{path}: no ratings")
    arr = np.array(rows, np.float64)
    user_raw, users = np.unique(arr[:, 0].astype(np.int64), return_inverse=True)
    item_raw, items = np.unique(arr[:, 1].astype(np.int64), return_inverse=True)
    data = np.stack([users, items, arr[:, 2]], axis=1).astype(np.float64)
    perm = np.random.RandomState(seed).permutation(len(data))
    cut = int(round((1 - test_fraction) * len(data)))
    n_users, n_items = len(user_raw), len(item_raw)
    zeros = np.zeros(n_users, np.int64)
    return RatingData(f"ratings.csv:{path}", n_users, n_items, data[perm[:cut]],
                      data[perm[cut:]], zeros, zeros.copy(), zeros.copy(), 1,
                      np.zeros((n_items, N_GENRES), np.int64), user_raw, item_raw)


def synthetic(n_users=943, n_items=1682, n_ratings=100_000, rank=8, seed=42):
    """A deterministic MovieLens-like data set from planted latent factors.

    Long-tail item popularity (Zipf-like), heavy-tailed user activity, side features
    (age, gender, occupation, genres) correlated with the latent factors, ratings 1..5.
    """
    rng = np.random.RandomState(seed)
    n_occ = 21
    user_age = rng.randint(0, len(AGE_BUCKETS) + 1, n_users)
    user_gender = rng.randint(0, 2, n_users)
    user_occ = rng.randint(0, n_occ, n_users)
    item_genres = (rng.rand(n_items, N_GENRES) < 0.1).astype(np.int64)
    item_genres[np.arange(n_items), rng.randint(0, N_GENRES, n_items)] = 1
    genre_f = rng.normal(0, 0.5, (N_GENRES, rank))
    age_f = rng.normal(0, 0.4, (len(AGE_BUCKETS) + 1, rank))
    occ_f = rng.normal(0, 0.3, (n_occ, rank))
    gender_f = rng.normal(0, 0.3, (2, rank))
    user_f = rng.normal(0, 0.5, (n_users, rank)) + age_f[user_age] + occ_f[user_occ] \
        + gender_f[user_gender]
    item_f = rng.normal(0, 0.5, (n_items, rank)) + item_genres @ genre_f / np.maximum(
        item_genres.sum(1, keepdims=True), 1)
    item_pop = 1.0 / np.arange(1, n_items + 1) ** 0.9
    item_pop = item_pop[rng.permutation(n_items)]
    item_quality = rng.normal(0, 0.4, n_items) + 0.3 * np.log(item_pop / item_pop.mean())
    user_act = rng.lognormal(0, 1.0, n_users)
    user_bias = rng.normal(0, 0.4, n_users)
    target = min(n_ratings, n_users * n_items // 2)
    users = rng.choice(n_users, size=int(target * 2.5), p=user_act / user_act.sum())
    affinity_items = rng.choice(n_items, size=len(users), p=item_pop / item_pop.sum())
    pairs = np.unique(users.astype(np.int64) * n_items + affinity_items)
    pairs = rng.permutation(pairs)[:target]
    u, i = pairs // n_items, pairs % n_items
    raw = 3.5 + user_bias[u] + item_quality[i] + (user_f[u] * item_f[i]).sum(1) * 0.6
    raw += rng.normal(0, 0.6, len(u))
    ratings = np.clip(np.rint(raw), 1, 5)
    rows = np.stack([u, i, ratings], 1).astype(np.float64)
    perm = rng.permutation(len(rows))
    cut = int(0.8 * len(rows))
    return RatingData(f"synthetic(seed={seed})", n_users, n_items, rows[perm[:cut]],
                      rows[perm[cut:]], user_age, user_gender, user_occ, n_occ, item_genres,
                      np.arange(1, n_users + 1), np.arange(1, n_items + 1))


def load(path=None):
    """``None`` -> the synthetic default; a directory -> MovieLens; a .csv -> ratings.csv."""
    if path is None:
        return synthetic()
    if str(path).endswith(".csv"):
        return load_ratings_csv(path)
    return load_movielens(path)


class FeatureSpace:
    """One-hot/multi-hot FM features: user, item, age, gender, occupation, genres.

    Every example has ``n_fields`` (feature id, value) slots: 4 user slots and
    ``1 + MAX_GENRES`` item slots; unused genre slots hold id 0 with value 0.
    """

    def __init__(self, data):
        self.n_users, self.n_items = data.n_users, data.n_items
        off_item = data.n_users
        off_age = off_item + data.n_items
        off_gender = off_age + len(AGE_BUCKETS) + 1
        off_occ = off_gender + 2
        off_genre = off_occ + data.n_occupations
        self.n_features = off_genre + N_GENRES
        self.user_ids = np.stack([
            np.arange(data.n_users), off_age + data.user_age, off_gender + data.user_gender,
            off_occ + data.user_occupation], 1).astype(np.int32)
        self.user_vals = np.ones_like(self.user_ids, np.float32)
        n_slots = 1 + MAX_GENRES
        self.item_ids = np.zeros((data.n_items, n_slots), np.int32)
        self.item_vals = np.zeros((data.n_items, n_slots), np.float32)
        self.item_ids[:, 0] = off_item + np.arange(data.n_items)
        self.item_vals[:, 0] = 1.0
        for i in range(data.n_items):
            g = np.flatnonzero(data.item_genres[i])[:MAX_GENRES]
            if len(g):
                self.item_ids[i, 1:1 + len(g)] = off_genre + g
                self.item_vals[i, 1:1 + len(g)] = 1.0 / np.sqrt(len(g))
        self.n_user_fields = self.user_ids.shape[1]
        self.n_item_fields = n_slots
        self.n_fields = self.n_user_fields + self.n_item_fields

    def encode(self, users, items):
        """Feature ids [B, n_fields] int32 and values [B, n_fields] float32."""
        users = np.asarray(users, np.int64)
        items = np.asarray(items, np.int64)
        if users.size and (users.min() < 0 or users.max() >= self.n_users):
            raise ValueError(f"user index out of range 0..{self.n_users - 1}")
        if items.size and (items.min() < 0 or items.max() >= self.n_items):
            raise ValueError(f"item index out of range 0..{self.n_items - 1}")
        ids = np.concatenate([self.user_ids[users], self.item_ids[items]], 1)
        vals = np.concatenate([self.user_vals[users], self.item_vals[items]], 1)
        return ids, vals


def sample_negatives(train_by_user, users, n_items, rng):
    """One uniformly drawn item per entry of `users` that the user did not rate."""
    neg = rng.randint(0, n_items, len(users))
    for _ in range(50):
        bad = np.array([np.isin(n, train_by_user[u]) for u, n in zip(users, neg)]) \
            if len(users) < 1000 else _rated(train_by_user, users, neg, n_items)
        if not bad.any():
            break
        neg[bad] = rng.randint(0, n_items, int(bad.sum()))
    return neg


def _rated(train_by_user, users, items, n_items):
    keys = np.concatenate([u * n_items + train_by_user[u] for u in range(len(train_by_user))])
    keys.sort()
    q = users.astype(np.int64) * n_items + items
    pos = np.searchsorted(keys, q)
    pos = np.minimum(pos, len(keys) - 1)
    return keys[pos] == q
