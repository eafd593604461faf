"""dm-sonnet 1.36: snt.nets.MLP and snt.Linear regression, a snt.Conv2D + snt.BatchFlatten
classifier and an snt.LSTM unrolled with tf.nn.dynamic_rnn, trained with TF1 optimizers
on fixed synthetic data; module variable sharing by calling a module twice (after
sonnet's README and examples)."""
import json
import os

import numpy as np
import sonnet as snt
import tensorflow as tf

tf.set_random_seed(1)
rng = np.random.RandomState(0)
N, D = 64, 8
x_np = rng.randn(N, D).astype(np.float32)
w_true = rng.randn(D, 1).astype(np.float32)
y_np = np.tanh(x_np @ w_true) + 0.1 * rng.randn(N, 1).astype(np.float32)
img_np = rng.randn(N, 6, 6, 1).astype(np.float32)
lbl_np = (img_np.reshape(N, -1).mean(1) > 0).astype(np.int32)
seq_np = rng.randn(N, 5, 3).astype(np.float32)
seq_y = seq_np.sum(axis=(1, 2))[:, None].astype(np.float32)

x = tf.placeholder(tf.float32, [None, D])
y = tf.placeholder(tf.float32, [None, 1])
img = tf.placeholder(tf.float32, [None, 6, 6, 1])
lbl = tf.placeholder(tf.int32, [None])
seq = tf.placeholder(tf.float32, [None, 5, 3])
sy = tf.placeholder(tf.float32, [None, 1])

# MLP regression + a Linear head on the same inputs
mlp = snt.nets.MLP([16, 16, 1], activation=tf.nn.relu, name="mlp")
pred = mlp(x)
pred_again = mlp(x)  # the same variables (sonnet's sharing by module object)
linear = snt.Linear(1, name="linear")
mse = tf.reduce_mean(tf.square(pred - y)) + tf.reduce_mean(tf.square(linear(x) - y))

# Conv2D classifier
conv = snt.Conv2D(output_channels=4, kernel_shape=3, stride=1, name="conv")
logits = snt.Linear(2, name="cls")(snt.BatchFlatten()(tf.nn.relu(conv(img))))
xent = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lbl,
                                                                     logits=logits))
acc = tf.reduce_mean(tf.cast(tf.equal(tf.cast(tf.argmax(logits, 1), tf.int32), lbl),
                             tf.float32))

# LSTM unrolled with dynamic_rnn
lstm = snt.LSTM(8, name="lstm")
outputs, final_state = tf.nn.dynamic_rnn(lstm, seq, dtype=tf.float32)
seq_pred = snt.Linear(1, name="seq_head")(outputs[:, -1])
seq_loss = tf.reduce_mean(tf.square(seq_pred - sy))

total = mse + xent + 0.1 * seq_loss
step = tf.train.get_or_create_global_step()
train = tf.train.AdamOptimizer(0.01).minimize(total, global_step=step)

feed = {x: x_np, y: y_np, img: img_np, lbl: lbl_np, seq: seq_np, sy: seq_y}
losses, parts = [], []
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(100):
        value, _ = sess.run([total, train], feed)
        losses.append(float(value))
    m, xe, sl, a, p1, p2 = sess.run([mse, xent, seq_loss, acc, pred, pred_again], feed)
    w0 = sess.run(mlp.layers[0].w)
    b_last = sess.run(mlp.layers[-1].b)
    conv_w = sess.run(conv.w)
    lstm_vars = {v.name: float(np.sum(sess.run(v))) for v in lstm.get_variables()}
    gstep = int(sess.run(step))

with open(os.environ["CORPUS_OUT"], "w") as f:
    json.dump({"loss": losses, "mse": float(m), "xent": float(xe), "seq_loss": float(sl),
               "acc": float(a), "shared_same": bool(np.array_equal(p1, p2)),
               "global_step": gstep,
               "n_vars": len(tf.trainable_variables()),
               "var_names": sorted(v.name for v in tf.trainable_variables()),
               "params": {"mlp_w0": w0[:2].tolist(), "mlp_b_last": b_last.tolist(),
                          "conv_w_sum": float(conv_w.sum()), "lstm": lstm_vars}}, f)
