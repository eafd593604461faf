"""A TF 1.15-style program: module-level graph, placeholders, variable_scope sharing,
tf.train optimizer, decayed learning rate, Saver. Only the import line is changed
by the tests (compat.v1 vs tensorflow.compat.v1)."""
import numpy as np
import compat.v1 as tf  # the one line a migration changes

tf.set_random_seed(1234)
rng = np.random.RandomState(0)
X_DATA = rng.normal(size=(64, 4)).astype(np.float32)
Y_DATA = (X_DATA @ np.array([1.0, -2.0, 0.5, 3.0], np.float32) + 0.7).astype(np.float32)

x = tf.placeholder(tf.float32, [None, 4], name="x")
y = tf.placeholder(tf.float32, [None], name="y")


def tower(inputs, reuse):
    with tf.variable_scope("tower", reuse=reuse):
        w = tf.get_variable("w", [4, 1], initializer=tf.truncated_normal_initializer(stddev=0.1))
        b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
        return tf.squeeze(tf.matmul(inputs, w) + b, axis=1)


pred = tower(x, reuse=False)
pred_again = tower(x, reuse=True)  # variable sharing: same variables
loss = tf.reduce_mean(tf.square(pred - y)) + 1e-4 * tf.nn.l2_loss(
    tf.trainable_variables()[0])
global_step = tf.train.get_or_create_global_step()
lr = tf.train.exponential_decay(0.1, global_step, 10, 0.9, staircase=True)
train_op = tf.train.MomentumOptimizer(lr, 0.9).minimize(loss, global_step=global_step)
tf.summary.scalar("loss", loss)
summaries = tf.summary.merge_all()
init = tf.global_variables_initializer()
saver = tf.train.Saver(max_to_keep=2)


def main(session_factory, ckpt_dir):
    """Trains 30 steps, checkpoints, restores into a new session; returns numbers."""
    losses = []
    with session_factory() as sess:
        sess.run(init)
        for i in range(30):
            _, value, _ = sess.run([train_op, loss, summaries], {x: X_DATA, y: Y_DATA})
            losses.append(value)
            if i % 10 == 9:
                saver.save(sess, ckpt_dir + "/model", global_step=global_step)
        final_w = sess.run("tower/w:0")  # TF1 returned the value for a variable's name
        final_w_var = sess.run(tf.trainable_variables()[0])
        shared = sess.run(pred_again - pred, {x: X_DATA[:3]})
    with session_factory() as sess:
        saver.restore(sess, tf.train.latest_checkpoint(ckpt_dir))
        restored_w = sess.run("tower/w:0")
        step = sess.run(global_step)
    return dict(losses=np.array(losses), final_w=final_w, final_w_var=final_w_var,
                restored_w=restored_w, step=step, shared=shared,
                n_vars=len(tf.global_variables()))
