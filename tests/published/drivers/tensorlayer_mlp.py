"""tensorlayer 1.11.1: the classic InputLayer / DropoutLayer / DenseLayer MLP, trained
with a TF1 optimizer first by a plain Session loop (dropout fed through
network.all_drop) and then by tl.utils.fit, evaluated by tl.utils.test / predict, its
parameters saved and restored with tl.files.save_npz_dict / load_and_assign_npz_dict (after
tensorlayer's README and tutorial_mnist_simple.py)."""
import json
import os
import tempfile

import numpy as np
import tensorflow as tf
import tensorlayer as tl

tf.set_random_seed(1)
np.random.seed(0)  # tl.iterate.minibatches shuffles with NumPy's global generator
rng = np.random.RandomState(0)
N, D, K = 512, 20, 4
centers = 2.0 * rng.randn(K, D).astype(np.float32)
labels = rng.randint(0, K, N).astype(np.int64)
X = (centers[labels] + rng.randn(N, D)).astype(np.float32)
X_train, y_train = X[:384], labels[:384]
X_val, y_val = X[384:], labels[384:]

x = tf.placeholder(tf.float32, shape=[None, D], name="x")
y_ = tf.placeholder(tf.int64, shape=[None], name="y_")
network = tl.layers.InputLayer(x, name="input")
network = tl.layers.DropoutLayer(network, keep=0.8, seed=3, name="drop1")
network = tl.layers.DenseLayer(network, 32, tf.nn.relu, name="relu1")
network = tl.layers.DropoutLayer(network, keep=0.5, seed=4, name="drop2")
network = tl.layers.DenseLayer(network, 32, tf.nn.relu, name="relu2")
network = tl.layers.DenseLayer(network, n_units=K, act=None, name="output")
y = network.outputs
cost = tl.cost.cross_entropy(y, y_, name="cost")
correct_prediction = tf.equal(tf.argmax(y, 1), y_)
acc = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
y_op = tf.argmax(tf.nn.softmax(y), 1)
train_params = network.all_params
train_op = tf.train.AdamOptimizer(learning_rate=0.003).minimize(cost, var_list=train_params)

losses = []
with tf.Session() as sess:
    tl.layers.initialize_global_variables(sess)
    network.print_params(False)
    network.print_layers()
    for step in range(60):  # plain loop: dropout on
        feed = {x: X_train, y_: y_train}
        feed.update(network.all_drop)
        value, _ = sess.run([cost, train_op], feed)
        losses.append(float(value))
    tl.utils.fit(sess, network, train_op, cost, X_train, y_train, x, y_, acc=acc,
                 batch_size=64, n_epoch=6, print_freq=3, X_val=X_val, y_val=y_val,
                 eval_train=False)
    eval_feed = {x: X_val, y_: y_val}
    eval_feed.update(tl.utils.dict_to_one(network.all_drop))
    val_cost, val_acc, logits = sess.run([cost, acc, y], eval_feed)
    tl.utils.test(sess, network, acc, X_val, y_val, x, y_, batch_size=None, cost=cost)
    predicted = tl.utils.predict(sess, network, X_val, x, y_op)

    path = os.path.join(tempfile.mkdtemp(), "model.npz")
    # save_npz/load_npz store the parameters as one ragged object array, which NumPy
    # >= 1.24 refuses to build: the by-name npz_dict pair instead
    tl.files.save_npz_dict(network.all_params, name=path, sess=sess)
    sess.run([p.assign(tf.zeros_like(p)) for p in network.all_params])
    zeroed = sess.run(y, eval_feed)
    tl.files.load_and_assign_npz_dict(name=path, sess=sess)
    restored = sess.run(y, eval_feed)
    loaded = dict(np.load(path))
    params = sess.run(network.all_params)

with open(os.environ["CORPUS_OUT"], "w") as f:
    json.dump({"loss": losses, "val_cost": float(val_cost), "val_acc": float(val_acc),
               "predicted": predicted.tolist(),
               "restored_equal": bool(np.array_equal(logits, restored)),
               "zeroed_max": float(np.abs(zeroed).max()),
               "n_saved": len(loaded),
               "param_names": [p.name for p in network.all_params],
               "params": {"relu1_W": params[0][:2, :4].tolist(),
                          "output_b": params[-1].tolist(),
                          "sums": [float(p.sum()) for p in params]}}, f)
