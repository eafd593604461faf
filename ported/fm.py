"""The factorization machine, ported to native TF2.

Same interface as :class:`legacy.fm.FactorizationMachine` (train_step / fit /
predict / save / restore / close), written as TF2 code: a ``tf.Module`` with
``tf.Variable`` state, a ``tf.function`` training step with ``GradientTape`` and
Keras' Adam (epsilon 1e-8, TF1's default), ``tf.summary``, object-based
``tf.train.Checkpoint``s. Legacy name-based checkpoints restore through
:data:`LEGACY_NAMES`; :meth:`save` also writes a name-based checkpoint, so the
legacy predictor keeps serving a ported FM.
"""

import logging
import os

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2

from ported import _legacy_ckpt

__all__ = ["FactorizationMachine", "LEGACY_NAMES"]

log = logging.getLogger(__name__)

_SCALAR = summary_pb2.SummaryMetadata()
_SCALAR.plugin_data.plugin_name = "scalars"

# object path in this module -> TF1 variable name in the legacy FM's checkpoints
LEGACY_NAMES = {"bias": "bias", "weights": "weights", "embeddings": "embeddings"}


class FactorizationMachine(tf.Module):
    """Rating FM (Rendle 2010), second order, TF2."""

    def __init__(self, n_features, n_fields, k=16, learning_rate=0.002, l2=0.02,
                 global_mean=3.5, seed=42, logdir=None):
        super().__init__(name="fm")
        self.n_features, self.n_fields, self.k, self.l2 = n_features, n_fields, k, l2
        self.bias = tf.Variable(float(global_mean), name="bias")
        self.weights = tf.Variable(tf.zeros([n_features]), name="weights")
        self.embeddings = tf.Variable(
            tf.random.stateless_normal([n_features, k], seed=[seed, 0], stddev=0.01),
            name="embeddings")
        self.global_step = tf.Variable(0, dtype=tf.int64, name="global_step")
        self.optimizer = tf.keras.optimizers.Adam(learning_rate, epsilon=1e-8)
        self.optimizer.build([self.bias, self.weights, self.embeddings])
        self.writer = tf.summary.create_file_writer(logdir) if logdir else None
        spec = [tf.TensorSpec([None, n_fields], tf.int32),
                tf.TensorSpec([None, n_fields], tf.float32)]
        self._predict = tf.function(self.scores, input_signature=spec)
        self._train = tf.function(self._train_step,
                                  input_signature=spec + [tf.TensorSpec([None], tf.float32)])

    @property
    def trainable(self):
        return [self.bias, self.weights, self.embeddings]

    def scores(self, feat_ids, feat_vals):
        w = tf.gather(self.weights, feat_ids)                       # [B, F]
        v = tf.gather(self.embeddings, feat_ids)                    # [B, F, k]
        xv = v * feat_vals[..., None]
        linear = tf.reduce_sum(w * feat_vals, axis=1)
        pairwise = 0.5 * tf.reduce_sum(
            tf.square(tf.reduce_sum(xv, axis=1)) - tf.reduce_sum(tf.square(xv), axis=1),
            axis=1)
        return self.bias + linear + pairwise

    def loss(self, feat_ids, feat_vals, ratings):
        pred = self.scores(feat_ids, feat_vals)
        mse = tf.reduce_mean(tf.square(pred - ratings))
        w = tf.gather(self.weights, feat_ids)
        v = tf.gather(self.embeddings, feat_ids)
        reg = self.l2 * (tf.reduce_sum(tf.square(w)) + tf.reduce_sum(tf.square(v))) \
            / tf.cast(tf.shape(feat_ids)[0], tf.float32)
        return mse + reg, mse

    def _train_step(self, feat_ids, feat_vals, ratings):
        with tf.GradientTape() as tape:
            loss, mse = self.loss(feat_ids, feat_vals, ratings)
        grads = tape.gradient(loss, self.trainable)
        grads = [tf.convert_to_tensor(g) for g in grads]  # dense, as TF1's Adam updated
        self.optimizer.apply_gradients(zip(grads, self.trainable))
        self.global_step.assign_add(1)
        return loss, mse

    # --- the legacy interface -----------------------------------------------------------
    def train_step(self, feat_ids, feat_vals, ratings, with_summary=False):
        loss, mse = self._train(np.asarray(feat_ids, np.int32),
                                np.asarray(feat_vals, np.float32),
                                np.asarray(ratings, np.float32))
        if with_summary and self.writer is not None:
            # tf.summary.write with the scalars plugin's metadata: what
            # tf.summary.scalar writes, without needing the tensorboard package
            with self.writer.as_default(step=int(self.global_step.numpy())):
                tf.summary.write("mse", mse, metadata=_SCALAR)
                tf.summary.write("loss", loss, metadata=_SCALAR)
        return float(loss)

    def fit(self, features, train, epochs=20, batch_size=1024, seed=0, progress=None):
        rng = np.random.RandomState(seed)
        history = []
        for epoch in range(epochs):
            order = rng.permutation(len(train))
            losses = []
            for start in range(0, len(order), batch_size):
                rows = train[order[start:start + batch_size]]
                ids, vals = features.encode(rows[:, 0], rows[:, 1])
                losses.append(self.train_step(ids, vals, rows[:, 2].astype(np.float32),
                                              with_summary=start == 0))
                if progress is not None:
                    progress.update(1)
            history.append(float(np.mean(losses)))
            log.debug("ported fm epoch %d loss %.4f", epoch + 1, history[-1])
        return history

    def predict(self, feat_ids, feat_vals, batch_size=8192):
        out = [self._predict(np.asarray(feat_ids[s:s + batch_size], np.int32),
                             np.asarray(feat_vals[s:s + batch_size], np.float32)).numpy()
               for s in range(0, len(feat_ids), batch_size)]
        return np.concatenate(out) if out else np.zeros([0], np.float32)

    def _named(self):
        return [(LEGACY_NAMES[a], getattr(self, a)) for a in ("bias", "weights", "embeddings")]

    def save(self, path):
        """Writes an object-based checkpoint at ``path-<step>-tf2`` and a legacy
        name-based one at ``path-<step>`` with every variable the legacy FM saves
        (Adam slots and beta powers included, so the legacy FM resumes training from
        it and the legacy predictor serves it); returns the name-based prefix."""
        step = int(self.global_step.numpy())
        tf.train.Checkpoint(model=self).write(f"{path}-{step}-tf2")
        return _legacy_ckpt.save(f"{path}-{step}", self._named(), self.optimizer,
                                 self.global_step)

    def restore(self, path):
        """Restores a checkpoint written by :meth:`save` (either prefix) or by the
        legacy FM's Saver (name-based, through :data:`LEGACY_NAMES`)."""
        if os.path.exists(path + "-tf2.index"):
            path = path + "-tf2"
        keys = dict(tf.train.list_variables(path))
        if any(k.endswith("VARIABLE_VALUE") for k in keys):
            tf.train.Checkpoint(model=self).read(path).expect_partial()
            return
        self.restore_legacy(path)

    def restore_legacy(self, path):
        """Loads a legacy name-based checkpoint (optimizer state too when present);
        checks every shape first, so a mismatch raises and assigns nothing."""
        _legacy_ckpt.restore(path, self._named(), self.optimizer, self.global_step, "FM")

    def close(self):
        if self.writer is not None:
            self.writer.close()
