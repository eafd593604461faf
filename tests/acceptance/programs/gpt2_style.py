"""A TF 1.x program in the style of 2019 GPT-2 code: hyperparameters in
tf.contrib.training.HParams (overridden from JSON), a decoder-only transformer from
get_variable (1x1 "conv" projections, its own layer norm with rsqrt, tanh-GELU with
tf.pow, causal masks, key/value caches stacked as `present` and fed back as `past`),
trained a few steps with Adam, saved and restored with a Saver, then sampled with a
while_loop (shape invariants, top-k filtering with tf.nn.top_k / tf.where, seeded
tf.multinomial). Written for this test suite (no third-party code); only the import
lines are changed by the tests."""
import json
import os

import numpy as np
import compat.v1 as tf  # the one line a migration changes
from compat.v1.contrib.training import HParams

BATCH, CONTEXT, LENGTH, STEPS = 3, 5, 6, 5


def default_hparams():
    return HParams(n_vocab=0, n_ctx=16, n_embd=8, n_head=2, n_layer=2)


def shape_list(x):
    static = x.shape.as_list()
    dynamic = tf.shape(x)
    return [dynamic[i] if s is None else s for i, s in enumerate(static)]


def gelu(x):
    return 0.5 * x * (1 + tf.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * tf.pow(x, 3))))


def norm(x, scope, axis=-1, epsilon=1e-5):
    with tf.variable_scope(scope):
        n_state = x.shape[-1].value
        g = tf.get_variable("g", [n_state], initializer=tf.constant_initializer(1))
        b = tf.get_variable("b", [n_state], initializer=tf.constant_initializer(0))
        u = tf.reduce_mean(x, axis=axis, keepdims=True)
        s = tf.reduce_mean(tf.square(x - u), axis=axis, keepdims=True)
        return (x - u) * tf.rsqrt(s + epsilon) * g + b


def conv1d(x, scope, nf, w_init_stdev=0.02):
    with tf.variable_scope(scope):
        *start, nx = shape_list(x)
        w = tf.get_variable("w", [1, nx, nf],
                            initializer=tf.random_normal_initializer(stddev=w_init_stdev))
        b = tf.get_variable("b", [nf], initializer=tf.constant_initializer(0))
        c = tf.reshape(tf.matmul(tf.reshape(x, [-1, nx]), tf.reshape(w, [-1, nf])) + b,
                       start + [nf])
        return c


def attention_mask(nd, ns, dtype):
    i = tf.range(nd)[:, None]
    j = tf.range(ns)
    return tf.cast(i >= j - ns + nd, dtype)


def attn(x, scope, n_state, past, hparams):
    def split_heads(t):
        *start, m = shape_list(t)
        t = tf.reshape(t, start + [hparams.n_head, m // hparams.n_head])
        return tf.transpose(t, [0, 2, 1, 3])

    def merge_heads(t):
        t = tf.transpose(t, [0, 2, 1, 3])
        *start, a, b = shape_list(t)
        return tf.reshape(t, start + [a * b])

    def multihead_attn(q, k, v):
        w = tf.matmul(q, k, transpose_b=True)
        w = w * tf.rsqrt(tf.cast(v.shape[-1].value, w.dtype))
        _, _, nd, ns = shape_list(w)
        b = tf.reshape(attention_mask(nd, ns, dtype=w.dtype), [1, 1, nd, ns])
        w = w * b - tf.cast(1e10, w.dtype) * (1 - b)
        return tf.matmul(tf.nn.softmax(w, axis=-1), v)

    with tf.variable_scope(scope):
        c = conv1d(x, "c_attn", n_state * 3)
        q, k, v = map(split_heads, tf.split(c, 3, axis=2))
        present = tf.stack([k, v], axis=1)
        if past is not None:
            pk, pv = tf.unstack(past, axis=1)
            k = tf.concat([pk, k], axis=-2)
            v = tf.concat([pv, v], axis=-2)
        a = merge_heads(multihead_attn(q, k, v))
        return conv1d(a, "c_proj", n_state), present


def block(x, scope, past, hparams):
    with tf.variable_scope(scope):
        nx = x.shape[-1].value
        a, present = attn(norm(x, "ln_1"), "attn", nx, past=past, hparams=hparams)
        x = x + a
        m = conv1d(gelu(conv1d(norm(x, "ln_2"), "c_fc", nx * 4)), "c_proj", nx)
        return x + m, present


def model(hparams, X, past=None, scope="model", reuse=tf.AUTO_REUSE):
    with tf.variable_scope(scope, reuse=reuse):
        batch, sequence = shape_list(X)
        wpe = tf.get_variable("wpe", [hparams.n_ctx, hparams.n_embd],
                              initializer=tf.random_normal_initializer(stddev=0.01))
        wte = tf.get_variable("wte", [hparams.n_vocab, hparams.n_embd],
                              initializer=tf.random_normal_initializer(stddev=0.02))
        past_length = 0 if past is None else tf.shape(past)[-2]
        positions = tf.tile(tf.expand_dims(past_length + tf.range(sequence), 0), [batch, 1])
        h = tf.gather(wte, X) + tf.gather(wpe, positions)
        presents = []
        pasts = tf.unstack(past, axis=1) if past is not None else [None] * hparams.n_layer
        for layer, layer_past in enumerate(pasts):
            h, present = block(h, "h%d" % layer, past=layer_past, hparams=hparams)
            presents.append(present)
        h = norm(h, "ln_f")
        logits = tf.reshape(tf.matmul(tf.reshape(h, [batch * sequence, hparams.n_embd]),
                                      wte, transpose_b=True),
                            [batch, sequence, hparams.n_vocab])
        return {"logits": logits, "present": tf.stack(presents, axis=1)}


def past_shape(hparams, batch_size=None, sequence=None):
    return [batch_size, hparams.n_layer, 2, hparams.n_head, sequence,
            hparams.n_embd // hparams.n_head]


def top_k_logits(logits, k):
    values, _ = tf.nn.top_k(logits, k=k)
    min_values = values[:, -1, tf.newaxis]
    return tf.where(logits < min_values, tf.ones_like(logits, dtype=logits.dtype) * -1e10,
                    logits)


def sample_sequence(hparams, length, context, top_k=4):
    def step(tokens, past=None):
        out = model(hparams, tokens, past=past)
        presents = out["present"]
        presents.set_shape(past_shape(hparams, batch_size=BATCH))
        return out["logits"][:, :, :hparams.n_vocab], presents

    with tf.name_scope("sample_sequence"):
        logits, presents = step(context[:, :-1])

        def body(past, prev, output):
            next_logits, next_presents = step(prev[:, tf.newaxis], past=past)
            scaled = top_k_logits(next_logits[:, -1, :] / tf.to_float(0.8), k=top_k)
            samples = tf.multinomial(scaled, num_samples=1, output_dtype=tf.int32)
            return [tf.concat([past, next_presents], axis=-2), tf.squeeze(samples, axis=[1]),
                    tf.concat([output, samples], axis=1)]

        _, _, tokens = tf.while_loop(
            cond=lambda *args: True, body=body, maximum_iterations=length,
            loop_vars=[presents, context[:, -1], context],
            shape_invariants=[tf.TensorShape(past_shape(hparams, batch_size=BATCH)),
                              tf.TensorShape([BATCH]), tf.TensorShape([BATCH, None])],
            back_prop=False)
        return tokens


def main(make_session, workdir):
    tf.set_random_seed(7)
    hparams = default_hparams()
    hparams.override_from_dict(json.loads('{"n_vocab": 20, "n_layer": 2}'))
    rng = np.random.RandomState(0)
    corpus = rng.randint(0, hparams.n_vocab, size=(BATCH * STEPS, 9)).astype(np.int32)

    tokens = tf.placeholder(tf.int32, [BATCH, None], name="tokens")
    out = model(hparams, tokens)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tokens[:, 1:], logits=out["logits"][:, :-1]))
    train_vars = [v for v in tf.trainable_variables() if "model" in v.name]
    train_op = tf.train.AdamOptimizer(1e-2).minimize(loss, var_list=train_vars)
    context = tf.placeholder(tf.int32, [BATCH, None], name="context")
    sampled = sample_sequence(hparams, LENGTH, context)
    saver = tf.train.Saver(var_list=train_vars)

    results = {"hparams": hparams.to_json(sort_keys=True)}
    with make_session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = []
        for i in range(STEPS):
            _, value = sess.run([train_op, loss], {tokens: corpus[i * BATCH:(i + 1) * BATCH]})
            losses.append(value)
        results["losses"] = np.array(losses)
        path = saver.save(sess, os.path.join(workdir, "gpt2"))
    with make_session() as sess:
        saver.restore(sess, path)
        results["logits"] = sess.run(out["logits"], {tokens: corpus[:BATCH, :4]})
        results["present"] = sess.run(out["present"], {tokens: corpus[:BATCH, :4]})
        results["samples"] = sess.run(sampled, {context: corpus[:BATCH, :CONTEXT]})
        results["samples_again"] = sess.run(sampled, {context: corpus[:BATCH, :CONTEXT]})
    results["variables"] = sorted(v.op.name for v in train_vars)
    return results
