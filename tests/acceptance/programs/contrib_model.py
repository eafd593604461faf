"""A TF 1.x program on the tf.contrib pieces TF 1.15 kept in contrib.layers,
contrib.framework, contrib.metrics and contrib.losses (served by the tf-slim package):
arg_scope over contrib.layers.conv2d / fully_connected with batch_norm and an l2
regularizer, layer_norm, contrib.losses, optimize_loss with gradient clipping and
learning-rate decay, streaming metrics, model variables. Built at the script's top
level; only the import line is changed by the tests."""
import numpy as np
import compat.v1 as tf  # the one line a migration changes

layers = tf.contrib.layers
framework = tf.contrib.framework

tf.set_random_seed(21)
rng = np.random.RandomState(1)
IMAGES = rng.rand(8, 8, 8, 2).astype(np.float32)
LABELS = rng.randint(0, 2, 8).astype(np.int64)

images = tf.placeholder(tf.float32, [None, 8, 8, 2], name="images")
labels = tf.placeholder(tf.int64, [None], name="labels")
is_training = tf.placeholder_with_default(True, [], name="is_training")

with framework.arg_scope([layers.conv2d, layers.fully_connected],
                         normalizer_fn=layers.batch_norm,
                         normalizer_params={"is_training": is_training, "decay": 0.9},
                         weights_regularizer=layers.l2_regularizer(1e-3)):
    net = layers.conv2d(images, 4, [3, 3], scope="conv1")
    net = layers.max_pool2d(net, [2, 2], scope="pool1")
    net = layers.flatten(net)
    net = layers.fully_connected(net, 8, scope="fc1")
net = layers.layer_norm(net, scope="ln")
logits = layers.fully_connected(net, 2, activation_fn=None, scope="logits")

one_hot = tf.one_hot(labels, 2)
loss = tf.contrib.losses.softmax_cross_entropy(logits, one_hot)
total_loss = tf.contrib.losses.get_total_loss()
global_step = framework.get_or_create_global_step()
train_op = layers.optimize_loss(
    total_loss, global_step, learning_rate=0.1, optimizer="Adam", clip_gradients=1.0,
    learning_rate_decay_fn=lambda lr, step: tf.train.exponential_decay(lr, step, 2, 0.5),
    summaries=["loss", "learning_rate"])
probs = tf.nn.softmax(logits)[:, 1]
auc, auc_update = tf.contrib.metrics.streaming_auc(probs, labels)
acc, acc_update = tf.contrib.metrics.streaming_accuracy(tf.argmax(logits, 1), labels)
model_vars = [v.op.name for v in framework.get_model_variables()]
conv_vars = [v.op.name for v in framework.get_variables("conv1")]
init = [tf.global_variables_initializer(), tf.local_variables_initializer()]


def main(session_factory):
    feed = {images: IMAGES, labels: LABELS}
    with session_factory() as sess:
        sess.run(init)
        losses = [sess.run(train_op, feed) for _ in range(4)]
        eval_feed = {images: IMAGES, labels: LABELS, is_training: False}
        for _ in range(2):
            sess.run([auc_update, acc_update], eval_feed)
        metrics = sess.run([auc, acc])
        moving = sess.run(framework.get_variables_by_name("moving_mean")[0])
        step = sess.run(global_step)
    return dict(losses=np.array(losses), metrics=np.array(metrics), moving=moving,
                step=step, model_vars=model_vars, conv_vars=conv_vars,
                n_reg=len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)))
