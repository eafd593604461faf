"""A TF 1.x program in the style of 2018-2019 transformer code (BERT and its many
forks): a small transformer encoder from get_variable / tf.layers.dense /
tf.contrib.layers.layer_norm, attention masks, erf-GELU, dropout with keep_prob, a
masked-LM style loss, a hand-written AdamW (an Optimizer subclass overriding
apply_gradients, slots as non-trainable get_variables), warmup + polynomial decay,
clip_by_global_norm, then warm-starting a second graph from the first one's
checkpoint with list_variables / init_from_checkpoint and evaluating with tf.metrics.
Written for this test suite (no third-party code); only the import line is changed by
the tests."""
import collections
import math
import os
import re

import numpy as np
import compat.v1 as tf  # the one line a migration changes

VOCAB, SEQ, HIDDEN, HEADS, LAYERS, BATCH = 30, 8, 16, 2, 2, 4


def gelu(x):
    return x * 0.5 * (1.0 + tf.erf(x / math.sqrt(2.0)))


def layer_norm(x, name=None):
    return tf.contrib.layers.layer_norm(inputs=x, begin_norm_axis=-1,
                                        begin_params_axis=-1, scope=name)


def dropout(x, prob):
    if prob is None or prob == 0.0:
        return x
    return tf.nn.dropout(x, 1.0 - prob)  # TF1's keep_prob, positional


def init(stddev=0.02):
    return tf.truncated_normal_initializer(stddev=stddev)


def attention(x, mask, drop):
    size = HIDDEN // HEADS

    def heads(t):
        t = tf.reshape(t, [BATCH, SEQ, HEADS, size])
        return tf.transpose(t, [0, 2, 1, 3])

    q = heads(tf.layers.dense(x, HIDDEN, name="query", kernel_initializer=init()))
    k = heads(tf.layers.dense(x, HIDDEN, name="key", kernel_initializer=init()))
    v = heads(tf.layers.dense(x, HIDDEN, name="value", kernel_initializer=init()))
    scores = tf.multiply(tf.matmul(q, k, transpose_b=True), 1.0 / math.sqrt(float(size)))
    adder = (1.0 - tf.cast(mask[:, None, None, :], tf.float32)) * -10000.0
    probs = dropout(tf.nn.softmax(scores + adder), drop)
    context = tf.transpose(tf.matmul(probs, v), [0, 2, 1, 3])
    return tf.reshape(context, [BATCH * SEQ, HIDDEN])


def encoder(ids, types, mask, training):
    drop = 0.1 if training else 0.0
    with tf.variable_scope("bert", reuse=tf.AUTO_REUSE):
        with tf.variable_scope("embeddings"):
            table = tf.get_variable("word_embeddings", [VOCAB, HIDDEN], initializer=init())
            x = tf.gather(table, ids)
            type_table = tf.get_variable("token_type_embeddings", [2, HIDDEN],
                                         initializer=init())
            x += tf.reshape(tf.matmul(tf.one_hot(tf.reshape(types, [-1]), depth=2),
                                      type_table), [BATCH, SEQ, HIDDEN])
            positions = tf.get_variable("position_embeddings", [16, HIDDEN],
                                        initializer=init())
            with tf.control_dependencies([tf.assert_less_equal(SEQ, 16)]):
                x += tf.slice(positions, [0, 0], [SEQ, -1])[None]
            x = dropout(layer_norm(x, "LayerNorm"), drop)
        h = tf.reshape(x, [BATCH * SEQ, HIDDEN])
        with tf.variable_scope("encoder"):
            for i in range(LAYERS):
                with tf.variable_scope(f"layer_{i}"):
                    with tf.variable_scope("attention"):
                        with tf.variable_scope("self"):
                            a = attention(tf.reshape(h, [BATCH, SEQ, HIDDEN]), mask, drop)
                        with tf.variable_scope("output"):
                            a = tf.layers.dense(a, HIDDEN, name="dense", kernel_initializer=init())
                            a = layer_norm(dropout(a, drop) + h)
                    with tf.variable_scope("intermediate"):
                        m = tf.layers.dense(a, 4 * HIDDEN, activation=gelu, name="dense",
                                            kernel_initializer=init())
                    with tf.variable_scope("output"):
                        m = tf.layers.dense(m, HIDDEN, name="dense", kernel_initializer=init())
                        h = layer_norm(dropout(m, drop) + a)
        return tf.reshape(h, [BATCH, SEQ, HIDDEN]), table


def masked_lm(sequence, table, positions, labels):
    flat = tf.reshape(positions + (tf.range(BATCH) * SEQ)[:, None], [-1])
    picked = tf.gather(tf.reshape(sequence, [-1, HIDDEN]), flat)
    with tf.variable_scope("cls/predictions", reuse=tf.AUTO_REUSE):
        with tf.variable_scope("transform"):
            picked = layer_norm(tf.layers.dense(picked, HIDDEN, activation=gelu,
                                                name="dense", kernel_initializer=init()))
        bias = tf.get_variable("output_bias", [VOCAB], initializer=tf.zeros_initializer())
        logits = tf.nn.bias_add(tf.matmul(picked, table, transpose_b=True), bias)
        log_probs = tf.nn.log_softmax(logits, axis=-1)
        one_hot = tf.one_hot(tf.reshape(labels, [-1]), depth=VOCAB, dtype=tf.float32)
        loss = tf.reduce_mean(-tf.reduce_sum(log_probs * one_hot, axis=[-1]))
    return loss, tf.argmax(logits, axis=-1, output_type=tf.int32)


class AdamWeightDecay(tf.train.Optimizer):
    """Adam with decoupled weight decay, slots as plain variables (the usual TF1 way)."""

    def __init__(self, learning_rate, weight_decay_rate=0.01, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-6, exclude=("LayerNorm", "layer_norm", "bias")):
        super().__init__(False, "AdamWeightDecay")
        self.learning_rate, self.weight_decay_rate = learning_rate, weight_decay_rate
        self.beta_1, self.beta_2, self.epsilon, self.exclude = beta_1, beta_2, epsilon, exclude

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        assignments = []
        for grad, param in grads_and_vars:
            if grad is None or param is None:
                continue
            var_name = re.match("^(.*):\\d+$", param.name).group(1)
            m = tf.get_variable(var_name + "/adam_m", param.shape.as_list(), tf.float32,
                                trainable=False, initializer=tf.zeros_initializer())
            v = tf.get_variable(var_name + "/adam_v", param.shape.as_list(), tf.float32,
                                trainable=False, initializer=tf.zeros_initializer())
            next_m = self.beta_1 * m + (1.0 - self.beta_1) * grad
            next_v = self.beta_2 * v + (1.0 - self.beta_2) * tf.square(grad)
            update = next_m / (tf.sqrt(next_v) + self.epsilon)
            if not any(re.search(e, var_name) for e in self.exclude):
                update += self.weight_decay_rate * param
            assignments.extend([param.assign(param - self.learning_rate * update),
                                m.assign(next_m), v.assign(next_v)])
        return tf.group(*assignments, name=name)


def optimization(loss, lr, steps, warmup):
    global_step = tf.train.get_or_create_global_step()
    rate = tf.train.polynomial_decay(tf.constant(lr, tf.float32), global_step, steps,
                                     end_learning_rate=0.0, power=1.0, cycle=False)
    step_f = tf.cast(global_step, tf.float32)
    warm = lr * step_f / float(warmup)
    is_warm = tf.cast(tf.cast(global_step, tf.int32) < warmup, tf.float32)
    rate = (1.0 - is_warm) * rate + is_warm * warm
    tvars = tf.trainable_variables()
    grads = tf.gradients(loss, tvars)
    grads, norm = tf.clip_by_global_norm(grads, clip_norm=1.0)
    train_op = AdamWeightDecay(rate).apply_gradients(zip(grads, tvars),
                                                     global_step=global_step)
    return tf.group(train_op, [global_step.assign(global_step + 1)]), rate, norm


def _inputs():
    ids = tf.placeholder(tf.int32, [BATCH, SEQ], name="input_ids")
    types = tf.placeholder(tf.int32, [BATCH, SEQ], name="segment_ids")
    mask = tf.placeholder(tf.int32, [BATCH, SEQ], name="input_mask")
    positions = tf.placeholder(tf.int32, [BATCH, 2], name="masked_positions")
    labels = tf.placeholder(tf.int32, [BATCH, 2], name="masked_ids")
    return ids, types, mask, positions, labels


def _batch(rng):
    ids = rng.randint(1, VOCAB, (BATCH, SEQ)).astype(np.int32)
    types = (np.arange(SEQ) >= SEQ // 2).astype(np.int32)[None].repeat(BATCH, 0)
    mask = np.ones((BATCH, SEQ), np.int32)
    mask[:, -1] = 0
    positions = np.stack([rng.choice(SEQ - 1, 2, replace=False) for _ in range(BATCH)])
    labels = ids[np.arange(BATCH)[:, None], positions]
    masked = ids.copy()
    masked[np.arange(BATCH)[:, None], positions] = 0
    return masked, types, mask, positions.astype(np.int32), labels


def main(session_factory, workdir):
    rng = np.random.RandomState(0)
    batches = [_batch(rng) for _ in range(4)]
    out = {}
    with tf.Graph().as_default():
        tf.set_random_seed(12345)
        inputs = _inputs()
        sequence, table = encoder(*inputs[:3], training=False)  # no dropout: deterministic
        loss, _ = masked_lm(sequence, table, *inputs[3:])
        train_op, rate, norm = optimization(loss, 1e-3, steps=10, warmup=2)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            steps = []
            for batch in [batches[0]] * 4:  # one batch: the loss must go down
                feed = dict(zip(inputs, batch))
                steps.append(sess.run([loss, rate, norm, train_op], feed)[:3])
            out["pretrain"] = np.array(steps)
            ckpt = saver.save(sess, os.path.join(workdir, "pretrain", "model.ckpt"))
    names = [name for name, _ in tf.train.list_variables(ckpt)]
    out["checkpoint_names"] = names
    with tf.Graph().as_default():
        tf.set_random_seed(7)
        inputs = _inputs()
        sequence, table = encoder(*inputs[:3], training=True)  # with dropout
        loss, _ = masked_lm(sequence, table, *inputs[3:])
        tvars = tf.trainable_variables()
        assignment = collections.OrderedDict(
            (v.op.name, v.op.name) for v in tvars
            if v.op.name in names and not v.op.name.startswith("cls/"))
        tf.train.init_from_checkpoint(ckpt, assignment)
        train_op, _, _ = optimization(loss, 1e-3, steps=10, warmup=2)
        # evaluation: the same variables (AUTO_REUSE), no dropout
        eval_sequence, eval_table = encoder(*inputs[:3], training=False)
        eval_loss, predictions = masked_lm(eval_sequence, eval_table, *inputs[3:])
        acc, acc_update = tf.metrics.accuracy(labels=tf.reshape(inputs[4], [-1]),
                                              predictions=predictions)
        mean_loss, mean_update = tf.metrics.mean(eval_loss)
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            out["warm_started"] = sess.run(table)
            bias, = [v for v in tvars if v.op.name == "cls/predictions/output_bias"]
            out["fresh_bias"] = sess.run(bias)
            out["finetune"] = np.array([sess.run([loss, train_op], dict(zip(inputs, b)))[0]
                                        for b in batches])
            for b in batches:
                sess.run([acc_update, mean_update], dict(zip(inputs, b)))
            out["metrics"] = sess.run([acc, mean_loss])
            out["n_assigned"] = len(assignment)
    return out
