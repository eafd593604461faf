"""Top-K predictor: the FM (rating) and BPR-FM (ranking) checkpoints in one graph.

Both models name their factor table ``embeddings`` (and ``weights``), as
independently written TF1 models did; this graph puts them under ``rating/`` and
``ranking/`` and restores each checkpoint with a ``Saver`` var_list name map.

Serving signature ``serving_default`` (exported with the TF1 SavedModelBuilder):
inputs ``user_ids`` int64 [None] (raw ids) and ``k`` int32 []; outputs
``item_ids`` int64 [None, None] (raw ids) and ``scores`` float32 [None, None].
"""

import numpy as np

import compat.v1 as tf
from legacy.bpr_fm import UserMLP

__all__ = ["Predictor"]


def _towers(ids, vals, weights, embeddings):
    v = tf.nn.embedding_lookup(embeddings, ids) * tf.expand_dims(vals, -1)   # [N, F, k]
    vec = tf.reduce_sum(v, axis=1)
    lin = tf.reduce_sum(tf.nn.embedding_lookup(weights, ids) * vals, axis=1)
    pair = 0.5 * tf.reduce_sum(tf.square(vec) - tf.reduce_sum(tf.square(v), axis=1), axis=1)
    return vec, lin, pair


class Predictor(object):
    """Scores every item for a batch of users, excludes seen items, blends, takes top-K."""

    def __init__(self, features, user_raw_ids, item_raw_ids, seen, fm_k, bpr_k,
                 alpha=0.1):
        self.graph = tf.Graph()
        n_users, n_items = seen.shape
        with self.graph.as_default():
            user_ids_t = tf.constant(features.user_ids, name="user_feat_ids")
            user_vals_t = tf.constant(features.user_vals, name="user_feat_vals")
            item_ids_t = tf.constant(features.item_ids, name="item_feat_ids")
            item_vals_t = tf.constant(features.item_vals, name="item_feat_vals")
            item_raw = tf.constant(np.asarray(item_raw_ids, np.int64), name="item_raw_ids")
            with tf.variable_scope("rating"):
                r_bias = tf.get_variable("bias", [], initializer=tf.zeros_initializer())
                r_weights = tf.get_variable("weights", [features.n_features],
                                            initializer=tf.zeros_initializer())
                r_emb = tf.get_variable("embeddings", [features.n_features, fm_k],
                                        initializer=tf.zeros_initializer())
            with tf.variable_scope("ranking"):
                k_weights = tf.get_variable("weights", [features.n_features],
                                            initializer=tf.zeros_initializer())
                k_emb = tf.get_variable("embeddings", [features.n_features, bpr_k],
                                        initializer=tf.zeros_initializer())
                user_mlp = UserMLP(bpr_k)
            self.seen = tf.get_variable("seen", [n_users, n_items], trainable=False,
                                        initializer=tf.zeros_initializer())
            self.table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(
                    tf.constant(np.asarray(user_raw_ids, np.int64)),
                    tf.constant(np.arange(n_users, dtype=np.int64))), -1, name="user_index")

            self.user_ids = tf.placeholder(tf.int64, [None], name="user_ids")
            self.k = tf.placeholder_with_default(tf.constant(10, tf.int32), [], name="k")
            index = self.table.lookup(self.user_ids)
            check = tf.Assert(tf.reduce_all(index >= 0), [self.user_ids], name="unknown_user")
            with tf.control_dependencies([check]):
                users = tf.identity(tf.cast(index, tf.int32), name="user_index_checked")
            u_ids = tf.gather(user_ids_t, users)
            u_vals = tf.gather(user_vals_t, users)

            # Rating FM over (user, every item): bias + user terms + item terms + cross.
            ru_vec, ru_lin, ru_pair = _towers(u_ids, u_vals, r_weights, r_emb)
            ri_vec, ri_lin, ri_pair = _towers(item_ids_t, item_vals_t, r_weights, r_emb)
            self.rating = tf.add(
                r_bias + tf.expand_dims(ru_lin + ru_pair, 1) + tf.expand_dims(ri_lin + ri_pair, 0),
                tf.matmul(ru_vec, ri_vec, transpose_b=True), name="rating")
            # Ranking BPR-FM (user-only terms cancel in BPR and are left out, as in training).
            ku_vec, _, _ = _towers(u_ids, u_vals, k_weights, k_emb)
            with tf.variable_scope("ranking"):  # the tower's variables: ranking/user_mlp/...
                ku_vec = user_mlp(ku_vec)
            ki_vec, ki_lin, ki_pair = _towers(item_ids_t, item_vals_t, k_weights, k_emb)
            self.ranking = tf.add(tf.matmul(ku_vec, ki_vec, transpose_b=True),
                                  tf.expand_dims(ki_lin + ki_pair, 0), name="ranking")
            blend = self.ranking + alpha * tf.clip_by_value(self.rating, 1.0, 5.0)
            masked = blend - 1e9 * tf.gather(self.seen, users)
            top = tf.nn.top_k(masked, k=tf.minimum(self.k, n_items))
            self.item_ids = tf.gather(item_raw, top.indices, name="item_ids")
            self.scores = tf.identity(top.values, name="scores")

            self.rating_saver = tf.train.Saver(
                {"bias": r_bias, "weights": r_weights, "embeddings": r_emb})
            by_name = {v.op.name: v for v in tf.global_variables()}
            ranking_vars = {"weights": k_weights, "embeddings": k_emb}
            ranking_vars.update({name: by_name["ranking/" + name]
                                 for name in UserMLP.variable_names()})
            self.ranking_saver = tf.train.Saver(ranking_vars)
            self.init = tf.global_variables_initializer()
            self.tables_init = tf.tables_initializer()
        self.sess = tf.Session(graph=self.graph)
        self.sess.run([self.init, self.tables_init])
        self.seen_matrix = np.asarray(seen, np.float32)
        self.seen.load(self.seen_matrix, self.sess)

    def restore(self, fm_checkpoint, bpr_checkpoint):
        """Loads the FM and BPR-FM checkpoints through the var_list name maps."""
        self.rating_saver.restore(self.sess, fm_checkpoint)
        self.ranking_saver.restore(self.sess, bpr_checkpoint)

    def recommend(self, user_raw_ids, k=10):
        """Returns (item raw ids [B, k], scores [B, k])."""
        return self.sess.run([self.item_ids, self.scores],
                             {self.user_ids: np.asarray(user_raw_ids, np.int64), self.k: k})

    def export(self, export_dir):
        """Writes a TF1 SavedModel with the ``serving_default`` signature."""
        builder = tf.saved_model.builder.SavedModelBuilder(export_dir)
        signature = tf.saved_model.signature_def_utils.predict_signature_def(
            inputs={"user_ids": self.user_ids, "k": self.k},
            outputs={"item_ids": self.item_ids, "scores": self.scores})
        # main_op: the tables initializer built with the graph. A new
        # tf.tables_initializer() here would put a control dependency on the table's
        # init op, which marks that op (an attribute) after the session ran it: TF's C
        # API warns that the mutation has no effect and will become an error.
        with self.graph.as_default():
            builder.add_meta_graph_and_variables(
                self.sess, [tf.saved_model.tag_constants.SERVING],
                signature_def_map={"serving_default": signature},
                main_op=self.tables_init, strip_default_attrs=True)
        return builder.save()

    def close(self):
        self.sess.close()
