"""A TF 1.x program written against ``tf.contrib.slim`` (the style of TF-Slim's model
zoo): arg_scope, conv2d with batch norm, pooling, dropout, fully_connected,
regularization losses, ``slim.learning.create_train_op`` (runs the batch-norm updates),
model variables, restoring a subset with ``slim.assign_from_checkpoint_fn``, a
streaming metric, ``slim.evaluation.evaluate_once`` and ``slim.learning.train``. Built
at the script's top level (TF1's default graph). Only the import line is changed by the
tests; the raw reference reads ``tf.contrib.slim`` from the tf-slim package, which is
TF 1.15's ``tf.contrib.slim`` published on its own."""
import numpy as np
import compat.v1 as tf  # the one line a migration changes

slim = tf.contrib.slim

tf.set_random_seed(7)
rng = np.random.RandomState(0)
IMAGES = rng.rand(16, 8, 8, 3).astype(np.float32)
LABELS = rng.randint(0, 5, 16).astype(np.int32)

# defaults: slim.learning.train runs the train op without feeds (TF-Slim models read
# input pipelines); the explicit runs below feed them
images = tf.placeholder_with_default(IMAGES, [None, 8, 8, 3], name="images")
labels = tf.placeholder_with_default(LABELS, [None], name="labels")
is_training = tf.placeholder_with_default(True, [], name="is_training")


def net(inputs, training):
    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        weights_regularizer=slim.l2_regularizer(1e-3),
                        normalizer_fn=slim.batch_norm,
                        normalizer_params={"is_training": training, "decay": 0.9}):
        with tf.variable_scope("net"):
            x = slim.conv2d(inputs, 6, [3, 3], scope="conv1")
            x = slim.max_pool2d(x, [2, 2], scope="pool1")
            x = slim.conv2d(x, 8, [3, 3], scope="conv2")
            x = slim.flatten(x)
            x = slim.fully_connected(x, 16, scope="fc1")
            x = slim.dropout(x, 0.8, is_training=training, scope="dropout")
            return slim.fully_connected(x, 5, activation_fn=None, normalizer_fn=None,
                                        scope="logits")


logits = net(images, is_training)
tf.losses.sparse_softmax_cross_entropy(labels, logits)
total_loss = slim.losses.get_total_loss()
global_step = tf.train.get_or_create_global_step()
train_op = slim.learning.create_train_op(total_loss, tf.train.AdamOptimizer(0.01),
                                         global_step=global_step)
accuracy, accuracy_update = slim.metrics.streaming_accuracy(
    tf.argmax(logits, 1, output_type=tf.int32), labels)
model_vars = [v.name for v in slim.get_model_variables()]
to_restore = slim.get_variables_to_restore(include=["net"], exclude=["net/logits"])
conv1_mean = slim.get_model_variables("net/conv1/BatchNorm/moving_mean")[0]
logits_bias = slim.get_variables_by_name("biases", scope="net/logits")[0]
init = tf.group(tf.global_variables_initializer(), tf.local_variables_initializer())
saver = tf.train.Saver()


def main(session_factory, ckpt_dir):
    """Trains 8 steps, checkpoints, restores all but the logits into a fresh session,
    then runs slim.learning.train."""
    losses = []
    with session_factory() as sess:
        sess.run(init)
        for _ in range(8):
            losses.append(sess.run(train_op, {images: IMAGES, labels: LABELS}))
        feed = {images: IMAGES, labels: LABELS, is_training: False}
        sess.run(accuracy_update, feed)
        acc = sess.run(accuracy)
        eval_logits = sess.run(logits, feed)
        moving_mean = sess.run(conv1_mean)
        path = saver.save(sess, ckpt_dir + "/model", global_step=global_step)
    init_fn = slim.assign_from_checkpoint_fn(path, to_restore)
    with session_factory() as sess:
        sess.run(init)
        init_fn(sess)
        restored_mean = sess.run(conv1_mean)
        fresh_logits_bias = sess.run(logits_bias)
        step = sess.run(global_step)
    # TF-Slim's evaluation: a MonitoredSession restores the checkpoint, runs the metric
    # update twice and returns the final metric value
    eval_acc = slim.evaluation.evaluate_once(
        "", path, ckpt_dir + "/eval", num_evals=2, eval_op=accuracy_update,
        final_op=accuracy, eval_op_feed_dict={is_training: False})
    # TF-Slim's training loop (last: its Supervisor finalizes the graph) opens its own
    # session, initializes it (the log directory holds no checkpoint yet), trains three
    # steps, saves a final checkpoint and returns the last loss. Its timed background
    # services are off here: under TF2 their threads start eager and raw TF 2.21 (the
    # reference) fails in them; the shim runs them in graph mode (tested on its own).
    final_loss = slim.learning.train(
        train_op, ckpt_dir + "/train", number_of_steps=3, save_summaries_secs=0,
        save_interval_secs=0, log_every_n_steps=1000)
    final_step = tf.train.load_variable(ckpt_dir + "/train", "global_step")
    return dict(losses=np.array(losses), acc=acc, eval_logits=eval_logits,
                moving_mean=moving_mean, restored_mean=restored_mean,
                fresh_logits_bias=fresh_logits_bias, step=step, model_vars=model_vars,
                final_loss=final_loss, final_step=final_step, eval_acc=eval_acc,
                restored=sorted(v.op.name for v in to_restore))
