"""Loaders (MovieLens formats, malformed input) and the synthetic generator."""

import numpy as np
import pytest

from legacy import data as data_lib


def _write_ml(tmp_path, base="1\t1\t5\t881250949\n2\t3\t3\t881250949\n",
              test="1\t2\t4\t881250949\n", users=None, items=None):
    (tmp_path / "u1.base").write_text(base)
    (tmp_path / "u1.test").write_text(test)
    (tmp_path / "u.user").write_text(users if users is not None else
                                     "1|24|M|technician|85711\n2|53|F|other|94043\n")
    genres = "|".join(["0"] * 18)
    (tmp_path / "u.item").write_text(items if items is not None else "".join(
        f"{i}|Movie {i}|01-Jan-1995||http://x|1|{genres}\n" for i in (1, 2, 3)))
    return tmp_path


def test_loads_u1_split_with_side_files(tmp_path):
    d = data_lib.load_movielens(str(_write_ml(tmp_path)))
    assert (d.n_users, d.n_items) == (2, 3)
    np.testing.assert_array_equal(d.train[:, :2], [[0, 0], [1, 2]])
    assert d.user_gender.tolist() == [0, 1]
    assert d.user_age.tolist() == [1, 5]
    assert d.item_genres[:, 0].tolist() == [1, 1, 1]


def test_u_data_is_split_deterministically(tmp_path):
    rows = "".join(f"{u}\t{i}\t{(u + i) % 5 + 1}\t1\n" for u in range(1, 6) for i in range(1, 9))
    (tmp_path / "u.data").write_text(rows)
    a = data_lib.load_movielens(str(tmp_path))
    b = data_lib.load_movielens(str(tmp_path))
    assert len(a.train) == 32 and len(a.test) == 8
    np.testing.assert_array_equal(a.test, b.test)


def test_missing_directory():
    with pytest.raises(FileNotFoundError, match="MovieLens directory not found: /nope"):
        data_lib.load_movielens("/nope")


def test_directory_without_ratings(tmp_path):
    with pytest.raises(FileNotFoundError, match="no u1.base/u1.test, u.data or ratings.csv"):
        data_lib.load_movielens(str(tmp_path))


@pytest.mark.parametrize("line,message", [
    ("1\t1\t5\n", "u1.base:2: expected 4 fields"),
    ("1\tx\t5\t1\n", "u1.base:2: non-numeric"),
    ("0\t1\t5\t1\n", "u1.base:2: ids are 1-based"),
    ("1\t1\t9\t1\n", "u1.base:2: rating 9.0 outside"),
])
def test_malformed_rating_lines_name_file_and_line(tmp_path, line, message):
    _write_ml(tmp_path, base="1\t1\t5\t1\n" + line)
    with pytest.raises(ValueError, match=message):
        data_lib.load_movielens(str(tmp_path))


def test_ids_out_of_side_file_range(tmp_path):
    _write_ml(tmp_path, users="1|24|M|technician|85711\n3|53|F|other|94043\n")
    with pytest.raises(ValueError, match="u.user:2: user id 3 out of range 1..2"):
        data_lib.load_movielens(str(tmp_path))


def test_malformed_item_file(tmp_path):
    _write_ml(tmp_path, items="1|Movie|x\n")
    with pytest.raises(ValueError, match="u.item:1: expected 24"):
        data_lib.load_movielens(str(tmp_path))


def test_ratings_csv(tmp_path):
    p = tmp_path / "ratings.csv"
    p.write_text("userId,movieId,rating,timestamp\n10,100,4.5,1\n10,200,3.0,2\n20,100,1.0,3\n"
                 "20,300,2.5,4\n30,200,5.0,5\n")
    d = data_lib.load(str(p))
    assert (d.n_users, d.n_items) == (3, 3)
    assert len(d.train) + len(d.test) == 5
    assert d.item_raw.tolist() == [100, 200, 300]
    p.write_text("user,item\n1,2\n")
    with pytest.raises(ValueError, match="ratings.csv:1: expected header"):
        data_lib.load(str(p))
    p.write_text("userId,movieId,rating,timestamp\n1,2,abc,3\n")
    with pytest.raises(ValueError, match="ratings.csv:2: non-numeric"):
        data_lib.load(str(p))


def test_synthetic_is_deterministic_and_movielens_like():
    a = data_lib.synthetic(seed=3)
    b = data_lib.synthetic(seed=3)
    np.testing.assert_array_equal(a.train, b.train)
    assert (a.n_users, a.n_items) == (943, 1682)
    assert len(a.train) + len(a.test) == 100_000
    ratings = np.concatenate([a.train[:, 2], a.test[:, 2]])
    assert set(np.unique(ratings)) <= {1, 2, 3, 4, 5}
    counts = np.bincount(a.train[:, 1].astype(int), minlength=a.n_items)
    top_share = np.sort(counts)[::-1][:a.n_items // 10].sum() / counts.sum()
    assert top_share > 0.3  # long tail: top 10% of items get a large share
    pairs = a.train[:, 0] * a.n_items + a.train[:, 1]
    assert len(np.unique(pairs)) == len(pairs)


def test_feature_space_encoding():
    d = data_lib.synthetic(n_users=20, n_items=30, n_ratings=200, seed=1)
    fs = data_lib.FeatureSpace(d)
    ids, vals = fs.encode([0, 19], [0, 29])
    assert ids.shape == (2, fs.n_fields) and ids.max() < fs.n_features
    assert ids[1, 0] == 19 and ids[1, 4] == 20 + 29
    np.testing.assert_allclose((vals[:, 5:] ** 2).sum(1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="user index out of range"):
        fs.encode([20], [0])
