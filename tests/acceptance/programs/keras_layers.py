"""A TF 1.x program in the style of 2018-2019 code that used tf.keras layers inside TF1
graphs: tf.keras.layers (Embedding, Conv1D, GlobalMaxPooling1D, Dense with an L2
regularizer, Dropout and BatchNormalization driven by a training placeholder) and a
tf.keras.Sequential head applied to placeholders, trained with a tf.train optimizer on
loss + the layers' regularization losses, the batch-norm moving averages updated through
the layers' `updates`, in a Session. Written for this test suite (no third-party code);
only the import line is changed by the tests."""
import numpy as np
import compat.v1 as tf  # the one line a migration changes

VOCAB, SEQ, BATCH, STEPS = 30, 7, 8, 6


def main(make_session):
    tf.set_random_seed(11)
    keras = tf.keras
    ids = tf.placeholder(tf.int32, [None, SEQ], name="ids")
    labels = tf.placeholder(tf.float32, [None], name="labels")
    training = tf.placeholder_with_default(False, [], name="training")
    embed = keras.layers.Embedding(VOCAB, 6)
    conv = keras.layers.Conv1D(5, 3, activation="relu")
    hidden = keras.layers.Dense(4, activation="tanh",
                                kernel_regularizer=keras.regularizers.l2(0.01))
    norm = keras.layers.BatchNormalization()
    head = keras.Sequential([keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)])
    x = keras.layers.GlobalMaxPooling1D()(conv(embed(ids)))
    x = norm(hidden(x), training=training)
    x = keras.layers.Dropout(0.25, seed=5)(x, training=training)
    logits = tf.squeeze(head(x), axis=1)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels,
                                                                  logits=logits))
    total = loss + tf.add_n(hidden.losses)
    with tf.control_dependencies(norm.updates):
        train = tf.train.AdamOptimizer(0.05).minimize(total)
    rng = np.random.RandomState(0)
    data = rng.randint(0, VOCAB, (BATCH * STEPS, SEQ)).astype(np.int32)
    targets = (data[:, 0] > VOCAB // 2).astype(np.float32)
    out = {"variables": [v.op.name for v in tf.global_variables()],
           "trainable": [v.op.name for v in head.trainable_weights]}
    with make_session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = []
        for i in range(STEPS):
            feed = {ids: data[i * BATCH:(i + 1) * BATCH],
                    labels: targets[i * BATCH:(i + 1) * BATCH], training: True}
            losses.append(sess.run([train, total], feed)[1])
        out["losses"] = np.array(losses)
        out["logits"] = sess.run(logits, {ids: data[:BATCH]})
        out["moving_mean"] = sess.run(norm.moving_mean)
    return out
