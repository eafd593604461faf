"""BPR-FM: pairwise ranking (Rendle et al. 2009) on the FM feature space.

Written as 2018 TF1 code that feeds through a ``tf.data`` initializable iterator:
each epoch the driver samples negatives in NumPy and re-initializes the iterator
with them. User and item features live in the graph as constant tables.

Variables (checkpoint names): ``weights`` [n_features], ``embeddings``
[n_features, k], ``user_mlp/{hidden,out}/{kernel,bias}`` (a ``tf.layers`` user tower),
``global_step``. (``embeddings`` clashes with the FM's on
purpose: the predictor loads both.)
"""

import logging

import numpy as np

import compat.v1 as tf
from legacy.data import sample_negatives  # noqa: F401  (re-exported: it lived here)

__all__ = ["BPRFM", "sample_negatives"]

log = logging.getLogger(__name__)


def tower(ids, vals, weights, embeddings):
    """Sum of feature embeddings [B, k] and linear term [B] for sparse ids/vals."""
    v = tf.nn.embedding_lookup(embeddings, ids) * tf.expand_dims(vals, -1)
    w = tf.reduce_sum(tf.nn.embedding_lookup(weights, ids) * vals, axis=1)
    return tf.reduce_sum(v, axis=1), w, v


class UserMLP(object):
    """``u + dense(relu(dense(u)))`` with ``tf.layers.Dense`` (variables
    ``user_mlp/hidden/{kernel,bias}``, ``user_mlp/out/{kernel,bias}``), shared by
    every place that builds a user vector."""

    def __init__(self, k, hidden=None):
        self.hidden = tf.layers.Dense(hidden or k, activation=tf.nn.relu,
                                      name="user_mlp/hidden")
        self.out = tf.layers.Dense(k, kernel_initializer=tf.zeros_initializer(),
                                   name="user_mlp/out")

    def residual(self, u_vec):
        return self.out(self.hidden(u_vec))

    def __call__(self, u_vec):
        return u_vec + self.residual(u_vec)

    @staticmethod
    def variable_names():
        return ["user_mlp/hidden/kernel", "user_mlp/hidden/bias", "user_mlp/out/kernel",
                "user_mlp/out/bias"]


class BPRFM(object):
    """Ranking FM; score(u, i) = <user tower, item tower> + item-side FM terms."""

    def __init__(self, features, k=64, learning_rate=0.003, l2=1e-4, batch_size=1024,
                 seed=42, mlp_l2=1e-2):
        self.features = features
        self.batch_size = batch_size
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.set_random_seed(seed)
            user_ids = tf.constant(features.user_ids, name="user_feat_ids")
            user_vals = tf.constant(features.user_vals, name="user_feat_vals")
            item_ids = tf.constant(features.item_ids, name="item_feat_ids")
            item_vals = tf.constant(features.item_vals, name="item_feat_vals")
            weights = tf.get_variable("weights", [features.n_features],
                                      initializer=tf.zeros_initializer())
            embeddings = tf.get_variable(
                "embeddings", [features.n_features, k],
                initializer=tf.random_normal_initializer(stddev=0.01))
            self.global_step = tf.train.get_or_create_global_step()

            self.users_in = tf.placeholder(tf.int32, [None], name="users_in")
            self.pos_in = tf.placeholder(tf.int32, [None], name="pos_in")
            self.neg_in = tf.placeholder(tf.int32, [None], name="neg_in")
            dataset = tf.data.Dataset.from_tensor_slices(
                (self.users_in, self.pos_in, self.neg_in)).batch(batch_size)
            self.iterator = dataset.make_initializable_iterator()
            users, pos, neg = self.iterator.get_next()

            def item_score(user_vec, items):
                i_vec, i_lin, i_v = tower(tf.gather(item_ids, items), tf.gather(item_vals, items),
                                          weights, embeddings)
                item_pair = 0.5 * tf.reduce_sum(
                    tf.square(i_vec) - tf.reduce_sum(tf.square(i_v), axis=1), axis=1)
                return tf.reduce_sum(user_vec * i_vec, axis=1) + i_lin + item_pair, i_v

            # Deep user tower (2018 style: tf.layers): a residual MLP on the summed user
            # features; the output layer starts at zero, so training starts as plain BPR-FM.
            user_mlp = UserMLP(k)
            u_vec, _, u_v = tower(tf.gather(user_ids, users), tf.gather(user_vals, users),
                                  weights, embeddings)
            u_delta = user_mlp.residual(u_vec)
            u_vec = u_vec + u_delta
            s_pos, p_v = item_score(u_vec, pos)
            s_neg, n_v = item_score(u_vec, neg)
            self.bpr_loss = tf.reduce_mean(tf.nn.softplus(-(s_pos - s_neg)), name="bpr_loss")
            reg = l2 * (tf.reduce_sum(tf.square(u_v)) + tf.reduce_sum(tf.square(p_v))
                        + tf.reduce_sum(tf.square(n_v))) / tf.cast(tf.shape(users)[0],
                                                                   tf.float32)
            # keep the tower close to plain BPR-FM: penalize the residual it adds
            reg += mlp_l2 * tf.reduce_mean(tf.reduce_sum(tf.square(u_delta), axis=1))
            self.loss = tf.add(self.bpr_loss, reg, name="loss")
            self.train_op = tf.train.AdamOptimizer(learning_rate).minimize(
                self.loss, global_step=self.global_step)

            # Scoring every item for a batch of users: [B, n_items].
            self.score_users = tf.placeholder(tf.int32, [None], name="score_users")
            su_vec, _, _ = tower(tf.gather(user_ids, self.score_users),
                                 tf.gather(user_vals, self.score_users), weights, embeddings)
            su_vec = user_mlp(su_vec)
            all_vec, all_lin, all_v = tower(item_ids, item_vals, weights, embeddings)
            all_pair = 0.5 * tf.reduce_sum(
                tf.square(all_vec) - tf.reduce_sum(tf.square(all_v), axis=1), axis=1)
            self.all_scores = tf.add(tf.matmul(su_vec, all_vec, transpose_b=True),
                                     all_lin + all_pair, name="all_scores")
            self.init = tf.global_variables_initializer()
            self.saver = tf.train.Saver(max_to_keep=2)
        self.sess = tf.Session(graph=self.graph)
        self.sess.run(self.init)

    def fit(self, train_by_user, epochs=20, seed=0, progress=None):
        """Trains with one sampled negative per (user, positive) each epoch."""
        rng = np.random.RandomState(seed)
        users = np.concatenate([np.full(len(items), u) for u, items in enumerate(train_by_user)])
        pos = np.concatenate(list(train_by_user))
        n_items = self.features.n_items
        history = []
        for epoch in range(epochs):
            order = rng.permutation(len(users))
            neg = sample_negatives(train_by_user, users[order], n_items, rng)
            self.sess.run(self.iterator.initializer, {
                self.users_in: users[order], self.pos_in: pos[order], self.neg_in: neg})
            losses = []
            while True:
                try:
                    _, loss = self.sess.run([self.train_op, self.bpr_loss])
                except tf.errors.OutOfRangeError:
                    break
                losses.append(loss)
                if progress is not None:
                    progress.update(1)
            history.append(float(np.mean(losses)))
            log.debug("bpr epoch %d loss %.4f", epoch + 1, history[-1])
        return history

    def score(self, users):
        return self.sess.run(self.all_scores, {self.score_users: np.asarray(users, np.int32)})

    def save(self, path):
        return self.saver.save(self.sess, path, global_step=self.global_step)

    def restore(self, path):
        self.saver.restore(self.sess, path)

    def close(self):
        self.sess.close()
