"""Factorization machine (Rendle 2010), second order, rating regression.

Written as 2018 TF1 code: placeholders + feed_dict, variable_scope/get_variable,
a tf.train optimizer's minimize, L2 on the looked-up parameters, Saver, summaries.

Variables (checkpoint names): ``bias`` [], ``weights`` [n_features],
``embeddings`` [n_features, k], ``global_step``.
"""

import logging

import numpy as np

import compat.v1 as tf

__all__ = ["FactorizationMachine"]

log = logging.getLogger(__name__)


def fm_scores(feat_ids, feat_vals, bias, weights, embeddings):
    """FM output [B] for sparse features ids/vals [B, F]."""
    w = tf.nn.embedding_lookup(weights, feat_ids)                 # [B, F]
    v = tf.nn.embedding_lookup(embeddings, feat_ids)              # [B, F, k]
    xv = v * tf.expand_dims(feat_vals, -1)                        # [B, F, k]
    linear = tf.reduce_sum(w * feat_vals, axis=1)
    square_of_sum = tf.square(tf.reduce_sum(xv, axis=1))
    sum_of_square = tf.reduce_sum(tf.square(xv), axis=1)
    pairwise = 0.5 * tf.reduce_sum(square_of_sum - sum_of_square, axis=1)
    return bias + linear + pairwise, w, v


class FactorizationMachine(object):
    """Rating FM. Interface used by the driver: train_step / fit / predict / save / restore."""

    def __init__(self, n_features, n_fields, k=16, learning_rate=0.002, l2=0.02,
                 global_mean=3.5, seed=42, logdir=None):
        self.n_features, self.n_fields, self.k = n_features, n_fields, k
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.set_random_seed(seed)
            self.feat_ids = tf.placeholder(tf.int32, [None, n_fields], name="feat_ids")
            self.feat_vals = tf.placeholder(tf.float32, [None, n_fields], name="feat_vals")
            self.ratings = tf.placeholder(tf.float32, [None], name="ratings")
            bias = tf.get_variable("bias", [], initializer=tf.constant_initializer(global_mean))
            weights = tf.get_variable("weights", [n_features], initializer=tf.zeros_initializer())
            embeddings = tf.get_variable(
                "embeddings", [n_features, k],
                initializer=tf.random_normal_initializer(stddev=0.01))
            self.global_step = tf.train.get_or_create_global_step()
            self.prediction, w, v = fm_scores(self.feat_ids, self.feat_vals, bias, weights,
                                              embeddings)
            self.prediction = tf.identity(self.prediction, name="prediction")
            self.mse = tf.reduce_mean(tf.square(self.prediction - self.ratings), name="mse")
            reg = l2 * (tf.reduce_sum(tf.square(w)) + tf.reduce_sum(tf.square(v))) \
                / tf.cast(tf.shape(self.feat_ids)[0], tf.float32)
            self.loss = tf.add(self.mse, reg, name="loss")
            self.train_op = tf.train.AdamOptimizer(learning_rate).minimize(
                self.loss, global_step=self.global_step)
            tf.summary.scalar("mse", self.mse)
            tf.summary.scalar("loss", self.loss)
            self.summaries = tf.summary.merge_all()
            self.init = tf.global_variables_initializer()
            self.saver = tf.train.Saver(max_to_keep=2)
        self.sess = tf.Session(graph=self.graph)
        self.sess.run(self.init)
        self.writer = tf.summary.FileWriter(logdir, self.graph) if logdir else None

    def train_step(self, feat_ids, feat_vals, ratings, with_summary=False):
        feed = {self.feat_ids: feat_ids, self.feat_vals: feat_vals, self.ratings: ratings}
        if with_summary:
            # the step the summary belongs to: the updates done before this batch (read
            # in the same run as train_op, global_step would race its increment)
            step = self.sess.run(self.global_step)
            _, loss, summary = self.sess.run([self.train_op, self.loss, self.summaries],
                                             feed)
            if self.writer is not None:
                self.writer.add_summary(summary, step)
            return loss
        _, loss = self.sess.run([self.train_op, self.loss], feed)
        return loss

    def fit(self, features, train, epochs=20, batch_size=1024, seed=0, progress=None):
        """Trains on rows (user, item, rating); returns the mean loss per epoch."""
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
            log.debug("fm epoch %d loss %.4f", epoch + 1, history[-1])
        return history

    def predict(self, feat_ids, feat_vals, batch_size=8192):
        out = []
        for start in range(0, len(feat_ids), batch_size):
            out.append(self.sess.run(self.prediction, {
                self.feat_ids: feat_ids[start:start + batch_size],
                self.feat_vals: feat_vals[start:start + batch_size]}))
        return np.concatenate(out) if out else np.zeros([0], np.float32)

    def save(self, path):
        return self.saver.save(self.sess, path, global_step=self.global_step)

    def restore(self, path):
        self.saver.restore(self.sess, path)

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.sess.close()
