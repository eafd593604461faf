"""tflearn 0.5.0: the README's deep neural network (input_data, fully_connected, dropout,
regression) trained with tflearn.DNN.fit, evaluated, saved and loaded; and a model with
conv_1d, batch_normalization, an LSTM and merge (after tflearn's examples)."""
import json
import os

import numpy as np
import tensorflow as tf
import tflearn

rng = np.random.RandomState(0)
X = rng.rand(200, 8).astype(np.float32)
labels = (X[:, :4].sum(1) > X[:, 4:].sum(1)).astype(np.int64)
Y = np.eye(2)[labels].astype(np.float32)

tf.set_random_seed(0)
tflearn.init_graph(seed=0, num_cores=1)
net = tflearn.input_data(shape=[None, 8])
net = tflearn.fully_connected(net, 32, activation="relu")
net = tflearn.dropout(net, 0.8)
net = tflearn.fully_connected(net, 2, activation="softmax")
net = tflearn.regression(net, optimizer="adam", learning_rate=0.01,
                         loss="categorical_crossentropy")
model = tflearn.DNN(net, tensorboard_verbose=0, tensorboard_dir=os.getcwd())
before = model.evaluate(X, Y)[0]
model.fit(X, Y, n_epoch=8, batch_size=32, shuffle=False, show_metric=False)
after = model.evaluate(X, Y)[0]
pred = model.predict(X[:16])
model.save(os.path.join(os.getcwd(), "dnn.tfl"))
model.load(os.path.join(os.getcwd(), "dnn.tfl"))
reloaded = model.predict(X[:16])

with tf.Graph().as_default():
    tflearn.init_graph(seed=1, num_cores=1)
    seq = tflearn.input_data(shape=[None, 8, 1])
    branch_a = tflearn.conv_1d(seq, 4, 3, activation="relu")
    branch_a = tflearn.batch_normalization(branch_a)
    branch_a = tflearn.flatten(branch_a)
    branch_b = tflearn.lstm(seq, 8)
    merged = tflearn.merge([branch_a, branch_b], mode="concat")
    out = tflearn.fully_connected(merged, 2, activation="softmax")
    out = tflearn.regression(out, optimizer="adam", learning_rate=0.01)
    model2 = tflearn.DNN(out, tensorboard_verbose=0, tensorboard_dir=os.getcwd())
    seq_before = model2.evaluate(X[:, :, None], Y)[0]
    model2.fit(X[:, :, None], Y, n_epoch=4, batch_size=32, shuffle=False)
    seq_after = model2.evaluate(X[:, :, None], Y)[0]
    seq_pred = model2.predict(X[:8, :, None])

with open(os.environ["CORPUS_OUT"], "w") as f:
    json.dump({"accuracy": [float(before), float(after)],
               "seq_accuracy": [float(seq_before), float(seq_after)],
               "pred": np.asarray(pred).tolist(), "reloaded": np.asarray(reloaded).tolist(),
               "seq_pred": np.asarray(seq_pred).tolist()}, f)
