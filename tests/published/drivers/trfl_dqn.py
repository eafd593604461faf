"""trfl 1.2.0: a Q-network trained with trfl.qlearning and double_qlearning on a fixed
batch of transitions, a target network synced by trfl.update_target_variables, and
trfl's actor-critic and entropy losses (after trfl's README)."""
import json
import os

import numpy as np
import tensorflow as tf
import trfl

tf.set_random_seed(1)
rng = np.random.RandomState(0)
N_STATES, N_ACTIONS, BATCH = 6, 3, 32
obs = rng.randn(BATCH, N_STATES).astype(np.float32)
next_obs = rng.randn(BATCH, N_STATES).astype(np.float32)
actions = rng.randint(0, N_ACTIONS, BATCH).astype(np.int32)
rewards = rng.randn(BATCH).astype(np.float32)
discounts = np.full(BATCH, 0.9, np.float32)

s_t = tf.placeholder(tf.float32, [None, N_STATES])
s_tp1 = tf.placeholder(tf.float32, [None, N_STATES])
a_tm1 = tf.placeholder(tf.int32, [None])
r_t = tf.placeholder(tf.float32, [None])
pcont_t = tf.placeholder(tf.float32, [None])


def q_net(x, name):
    with tf.variable_scope(name):
        h = tf.layers.dense(x, 16, tf.nn.relu)
        return tf.layers.dense(h, N_ACTIONS)


q_tm1 = q_net(s_t, "online")
q_t = q_net(s_tp1, "target")
q_t_selector = q_net(s_tp1, "online_selector")
loss, extra = trfl.qlearning(q_tm1, a_tm1, r_t, pcont_t, q_t)
dloss, _ = trfl.double_qlearning(q_tm1, a_tm1, r_t, pcont_t, q_t, q_t_selector)
online_vars = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, "online/")
target_vars = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, "target/")
sync = trfl.update_target_variables(target_vars, online_vars, tau=0.5)
total = tf.reduce_mean(loss) + 0.5 * tf.reduce_mean(dloss)
train = tf.train.AdamOptimizer(0.01).minimize(total)
policy = trfl.epsilon_greedy(q_tm1, epsilon=0.1)
entropy = trfl.discrete_policy_entropy_loss(q_tm1).loss

losses = []
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    feed = {s_t: obs, s_tp1: next_obs, a_tm1: actions, r_t: rewards, pcont_t: discounts}
    for step in range(60):
        value, _ = sess.run([total, train], feed)
        losses.append(float(value))
        if step % 10 == 9:
            sess.run(sync)
    probs, ent, td = sess.run([policy.probs, entropy, extra.td_error], feed)

with open(os.environ["CORPUS_OUT"], "w") as f:
    json.dump({"loss": losses, "probs": probs.tolist(), "entropy": ent.tolist(),
               "td_error": td.tolist()}, f)
