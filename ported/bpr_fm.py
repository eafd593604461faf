"""BPR-FM ported to native TF2.

Same interface as :class:`legacy.bpr_fm.BPRFM` (fit / score / save / restore /
close), written as TF2 code: ``tf.Module`` state, a ``tf.function`` step with
``GradientTape`` and Keras Adam (TF1's epsilon), NumPy batches instead of a TF1
initializable iterator. The residual user tower keeps the legacy ``tf.layers``
variable names (``user_mlp/hidden/kernel``, ...) in :data:`LEGACY_NAMES`, so
legacy checkpoints restore and the legacy predictor serves this module's.
"""

import logging

import numpy as np
import tensorflow as tf

from legacy.data import sample_negatives
from ported import _legacy_ckpt

__all__ = ["BPRFM", "LEGACY_NAMES"]

log = logging.getLogger(__name__)

LEGACY_NAMES = {
    "weights": "weights", "embeddings": "embeddings",
    "hidden_kernel": "user_mlp/hidden/kernel", "hidden_bias": "user_mlp/hidden/bias",
    "out_kernel": "user_mlp/out/kernel", "out_bias": "user_mlp/out/bias",
}


class BPRFM(tf.Module):
    """Ranking FM; score(u, i) = <user tower, item tower> + item-side FM terms."""

    def __init__(self, features, k=64, learning_rate=0.003, l2=1e-4, batch_size=1024,
                 seed=42, mlp_l2=1e-2):
        super().__init__(name="bpr_fm")
        self.features, self.batch_size, self.l2, self.mlp_l2 = features, batch_size, l2, \
            mlp_l2
        n = features.n_features
        self.user_ids = tf.constant(features.user_ids)
        self.user_vals = tf.constant(features.user_vals)
        self.item_ids = tf.constant(features.item_ids)
        self.item_vals = tf.constant(features.item_vals)
        self.weights = tf.Variable(tf.zeros([n]), name="weights")
        self.embeddings = tf.Variable(
            tf.random.stateless_normal([n, k], seed=[seed, 1], stddev=0.01), name="embeddings")
        limit = np.sqrt(6.0 / (k + k))
        self.hidden_kernel = tf.Variable(tf.random.stateless_uniform(
            [k, k], seed=[seed, 2], minval=-limit, maxval=limit), name="hidden_kernel")
        self.hidden_bias = tf.Variable(tf.zeros([k]), name="hidden_bias")
        self.out_kernel = tf.Variable(tf.zeros([k, k]), name="out_kernel")
        self.out_bias = tf.Variable(tf.zeros([k]), name="out_bias")
        self.global_step = tf.Variable(0, dtype=tf.int64, name="global_step")
        self.optimizer = tf.keras.optimizers.Adam(learning_rate, epsilon=1e-8)
        self.optimizer.build(self.trainable)
        ids = tf.TensorSpec([None], tf.int32)
        self._step = tf.function(self._train_step, input_signature=[ids, ids, ids])
        self._score = tf.function(self.scores, input_signature=[ids])

    @property
    def trainable(self):
        return [getattr(self, a) for a in LEGACY_NAMES]

    def _tower(self, ids, vals):
        v = tf.gather(self.embeddings, ids) * vals[..., None]
        w = tf.reduce_sum(tf.gather(self.weights, ids) * vals, axis=1)
        return tf.reduce_sum(v, axis=1), w, v

    def _residual(self, u_vec):
        hidden = tf.nn.relu(tf.matmul(u_vec, self.hidden_kernel) + self.hidden_bias)
        return tf.matmul(hidden, self.out_kernel) + self.out_bias

    def _user(self, users):
        return self._tower(tf.gather(self.user_ids, users), tf.gather(self.user_vals, users))

    def _item_score(self, user_vec, items):
        i_vec, i_lin, i_v = self._tower(tf.gather(self.item_ids, items),
                                        tf.gather(self.item_vals, items))
        pair = 0.5 * tf.reduce_sum(tf.square(i_vec) - tf.reduce_sum(tf.square(i_v), 1), 1)
        return tf.reduce_sum(user_vec * i_vec, axis=1) + i_lin + pair, i_v

    def _train_step(self, users, pos, neg):
        with tf.GradientTape() as tape:
            u_vec, _, u_v = self._user(users)
            delta = self._residual(u_vec)
            u_vec = u_vec + delta
            s_pos, p_v = self._item_score(u_vec, pos)
            s_neg, n_v = self._item_score(u_vec, neg)
            bpr_loss = tf.reduce_mean(tf.nn.softplus(-(s_pos - s_neg)))
            reg = self.l2 * (tf.reduce_sum(tf.square(u_v)) + tf.reduce_sum(tf.square(p_v))
                             + tf.reduce_sum(tf.square(n_v))) / tf.cast(tf.shape(users)[0],
                                                                        tf.float32)
            reg += self.mlp_l2 * tf.reduce_mean(tf.reduce_sum(tf.square(delta), axis=1))
            loss = bpr_loss + reg
        grads = [tf.convert_to_tensor(g) for g in tape.gradient(loss, self.trainable)]
        self.optimizer.apply_gradients(zip(grads, self.trainable))
        self.global_step.assign_add(1)
        return bpr_loss

    def scores(self, users):
        u_vec, _, _ = self._user(users)
        u_vec = u_vec + self._residual(u_vec)
        all_vec, all_lin, all_v = self._tower(self.item_ids, self.item_vals)
        all_pair = 0.5 * tf.reduce_sum(tf.square(all_vec) - tf.reduce_sum(tf.square(all_v), 1),
                                       1)
        return tf.matmul(u_vec, all_vec, transpose_b=True) + all_lin + all_pair

    # --- the legacy interface -------------------------------------------------------------
    def fit(self, train_by_user, epochs=20, seed=0, progress=None):
        """One sampled negative per (user, positive) each epoch, as the legacy module."""
        rng = np.random.RandomState(seed)
        users = np.concatenate([np.full(len(items), u) for u, items in enumerate(train_by_user)])
        pos = np.concatenate(list(train_by_user))
        history = []
        for epoch in range(epochs):
            order = rng.permutation(len(users))
            neg = sample_negatives(train_by_user, users[order], self.features.n_items, rng)
            u, p = users[order].astype(np.int32), pos[order].astype(np.int32)
            n = neg.astype(np.int32)
            losses = []
            for s in range(0, len(u), self.batch_size):
                e = s + self.batch_size
                losses.append(float(self._step(u[s:e], p[s:e], n[s:e])))
                if progress is not None:
                    progress.update(1)
            history.append(float(np.mean(losses)))
            log.debug("ported bpr epoch %d loss %.4f", epoch + 1, history[-1])
        return history

    def score(self, users):
        return self._score(np.asarray(users, np.int32)).numpy()

    def _named(self):
        return [(LEGACY_NAMES[a], getattr(self, a)) for a in LEGACY_NAMES]

    def save(self, path):
        """Object-based checkpoint at ``path-<step>-tf2`` and the legacy name-based one
        at ``path-<step>`` (what the legacy predictor restores); returns the latter."""
        step = int(self.global_step.numpy())
        tf.train.Checkpoint(model=self).write(f"{path}-{step}-tf2")
        return _legacy_ckpt.save(f"{path}-{step}", self._named(), self.optimizer,
                                 self.global_step)

    def restore(self, path):
        """Restores a legacy name-based checkpoint (through :data:`LEGACY_NAMES`)."""
        _legacy_ckpt.restore(path, self._named(), self.optimizer, self.global_step, "BPR-FM")

    def close(self):
        pass
