"""The top-K predictor, ported to native TF2.

Same interface as :class:`legacy.predictor.Predictor` (restore / recommend / export /
close), written as TF2 code: a ``tf.Module`` holding the rating FM's and the ranking
BPR-FM's variables, a ``tf.lookup.StaticHashTable`` from raw user ids to rows, one
``tf.function`` with a fixed input signature that serves ``recommend`` and is exported
with ``tf.saved_model.save`` as ``serving_default``.

The signature equals the legacy SavedModelBuilder export's: inputs ``user_ids`` int64
[None] (raw ids) and ``k`` int32 []; outputs ``item_ids`` int64 [None, None] (raw ids)
and ``scores`` float32 [None, None]. Unknown user ids raise InvalidArgumentError, as
the legacy graph's ``tf.Assert`` does.

Checkpoints: :meth:`restore` reads the name-based checkpoints the legacy FM and
BPR-FM (or their ports, which write the same names) save, through
:data:`ported.fm.LEGACY_NAMES` and :data:`ported.bpr_fm.LEGACY_NAMES`.
"""

import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

from ported import _legacy_ckpt
from ported.bpr_fm import LEGACY_NAMES as RANKING_NAMES
from ported.fm import LEGACY_NAMES as RATING_NAMES

__all__ = ["Predictor"]


def _tower(ids, vals, weights, embeddings):
    v = tf.gather(embeddings, ids) * vals[..., None]                  # [N, F, k]
    vec = tf.reduce_sum(v, axis=1)
    lin = tf.reduce_sum(tf.gather(weights, ids) * vals, axis=1)
    pair = 0.5 * tf.reduce_sum(tf.square(vec) - tf.reduce_sum(tf.square(v), axis=1), axis=1)
    return vec, lin, pair


class _Scorer(tf.Module):
    """One model's variables, named after the legacy checkpoint's keys."""

    def __init__(self, names, shapes, name):
        super().__init__(name=name)
        self.names = dict(names)
        for attr, shape in shapes.items():
            setattr(self, attr, tf.Variable(tf.zeros(shape), name=attr))

    def named(self):
        return [(tf1_name, getattr(self, attr)) for attr, tf1_name in self.names.items()]


class Predictor(tf.Module):
    """Scores every item for a batch of users, excludes seen items, blends, takes top-K."""

    def __init__(self, features, user_raw_ids, item_raw_ids, seen, fm_k, bpr_k, alpha=0.1):
        super().__init__(name="predictor")
        seen = np.asarray(seen, np.float32)
        n_users, n_items = seen.shape
        n = features.n_features
        self.alpha = float(alpha)
        self.n_items = n_items
        self.user_feat = (tf.constant(features.user_ids), tf.constant(features.user_vals))
        self.item_feat = (tf.constant(features.item_ids), tf.constant(features.item_vals))
        self.item_raw = tf.constant(np.asarray(item_raw_ids, np.int64))
        self.seen = tf.Variable(seen, trainable=False, name="seen")
        self.user_index = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(np.asarray(user_raw_ids, np.int64)),
                tf.constant(np.arange(n_users, dtype=np.int64))), -1)
        self.rating = _Scorer(RATING_NAMES, {"bias": [], "weights": [n],
                                             "embeddings": [n, fm_k]}, "rating")
        self.ranking = _Scorer(RANKING_NAMES, {
            "weights": [n], "embeddings": [n, bpr_k],
            "hidden_kernel": [bpr_k, bpr_k], "hidden_bias": [bpr_k],
            "out_kernel": [bpr_k, bpr_k], "out_bias": [bpr_k]}, "ranking")
        self.serve = tf.function(self._serve, input_signature=[
            tf.TensorSpec([None], tf.int64, name="user_ids"),
            tf.TensorSpec([], tf.int32, name="k")])

    def _serve(self, user_ids, k):
        index = self.user_index.lookup(user_ids)
        known = index >= 0
        check = tf.debugging.Assert(tf.reduce_all(known),
                                    ["unknown user ids:", tf.boolean_mask(user_ids, ~known)])
        with tf.control_dependencies([check]):  # before any gather sees index -1
            users = tf.cast(index, tf.int32)
        u_ids = tf.gather(self.user_feat[0], users)
        u_vals = tf.gather(self.user_feat[1], users)
        r, m = self.rating, self.ranking
        # Rating FM over (user, every item): bias + user terms + item terms + cross.
        ru_vec, ru_lin, ru_pair = _tower(u_ids, u_vals, r.weights, r.embeddings)
        ri_vec, ri_lin, ri_pair = _tower(*self.item_feat, r.weights, r.embeddings)
        rating = (r.bias + tf.expand_dims(ru_lin + ru_pair, 1)
                  + tf.expand_dims(ri_lin + ri_pair, 0)) \
            + tf.matmul(ru_vec, ri_vec, transpose_b=True)
        # Ranking BPR-FM with the residual user tower (user-only terms cancel in BPR).
        ku_vec, _, _ = _tower(u_ids, u_vals, m.weights, m.embeddings)
        hidden = tf.nn.relu(tf.matmul(ku_vec, m.hidden_kernel) + m.hidden_bias)
        ku_vec = ku_vec + (tf.matmul(hidden, m.out_kernel) + m.out_bias)
        ki_vec, ki_lin, ki_pair = _tower(*self.item_feat, m.weights, m.embeddings)
        ranking = tf.matmul(ku_vec, ki_vec, transpose_b=True) \
            + tf.expand_dims(ki_lin + ki_pair, 0)
        blend = ranking + self.alpha * tf.clip_by_value(rating, 1.0, 5.0)
        masked = blend - 1e9 * tf.gather(self.seen, users)
        top = tf.math.top_k(masked, k=tf.minimum(k, self.n_items))
        return {"item_ids": tf.gather(self.item_raw, top.indices), "scores": top.values}

    # --- the legacy interface -------------------------------------------------------------
    def restore(self, fm_checkpoint, bpr_checkpoint):
        """Loads the FM and BPR-FM name-based checkpoints (legacy or ported); checks both
        completely first, so a missing name or a wrong shape assigns nothing."""
        _, pairs = _legacy_ckpt.check(fm_checkpoint, self.rating.named(), "predictor (rating)")
        _, more = _legacy_ckpt.check(bpr_checkpoint, self.ranking.named(),
                                     "predictor (ranking)")
        for var, value in pairs + more:
            var.assign(value)

    def recommend(self, user_raw_ids, k=10):
        """Returns (item raw ids [B, k], scores [B, k])."""
        out = self.serve(tf.constant(np.asarray(user_raw_ids, np.int64).reshape([-1])),
                         tf.constant(k, tf.int32))
        return out["item_ids"].numpy(), out["scores"].numpy()

    def export(self, export_dir):
        """Writes a TF2 SavedModel with the ``serving_default`` signature; the directory
        appears complete or not at all (FileExistsError if it exists and is not empty)."""
        export_dir = os.path.abspath(export_dir)
        if os.path.isdir(export_dir) and os.listdir(export_dir):
            raise FileExistsError(f"Export directory {export_dir!r} already exists and is "
                                  "not empty")
        parent = os.path.dirname(export_dir)
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".predictor-export-", dir=parent)
        try:
            tf.saved_model.save(self, tmp, signatures={"serving_default": self.serve})
            if os.path.isdir(export_dir):
                os.rmdir(export_dir)
            os.replace(tmp, export_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return export_dir.encode()

    def close(self):
        pass
