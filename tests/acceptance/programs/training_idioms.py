"""TF1 training-code idioms of 2017-2019 model repositories, each in a graph and
sessions of its own: switching input pipelines with reinitializable and feedable
(string-handle) iterators, Session.make_callable, the optimizers beyond SGD/Adam
(Nesterov momentum, centered RMSProp, Adadelta, FTRL, proximal and dual-averaging
Adagrad, proximal SGD) with dense and sparse gradients, tf.losses with weights and
label smoothing and get_variable's regularizer collection, EMA shadow variables restored
through variables_to_restore(), seeded slice_input_producer batches, tf.Example and
CSV parsing, gradients through while_loop and foldl, scatter updates of local
variables, stateful ops inside cond branches, numpy_function. Only the import line is
changed by the tests (compat.v1 vs tensorflow.compat.v1)."""
import os

import numpy as np
import compat.v1 as tf  # the one line a migration changes


def _drain(sess, fetch):
    out = []
    while True:
        try:
            out.append(sess.run(fetch))
        except tf.errors.OutOfRangeError:
            return out


def reinitializable_iterator(workdir):
    with tf.Graph().as_default():
        train = tf.data.Dataset.range(3).map(lambda x: x * 10)
        valid = tf.data.Dataset.range(100, 102)
        iterator = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
        nxt = iterator.get_next()
        to_train, to_valid = iterator.make_initializer(train), iterator.make_initializer(valid)
        out = []
        with tf.Session() as sess:
            for init in (to_train, to_valid, to_train):
                sess.run(init)
                out += _drain(sess, nxt)
        return np.array(out)


def feedable_iterator(workdir):
    with tf.Graph().as_default():
        train = tf.data.Dataset.range(100).map(lambda x: x * 2).repeat()
        valid = tf.data.Dataset.range(5)
        handle = tf.placeholder(tf.string, shape=[])
        iterator = tf.data.Iterator.from_string_handle(handle, train.output_types,
                                                       train.output_shapes)
        nxt = iterator.get_next()
        train_it = train.make_one_shot_iterator()
        valid_it = valid.make_initializable_iterator()
        with tf.Session() as sess:
            train_h, valid_h = sess.run([train_it.string_handle(), valid_it.string_handle()])
            out = [sess.run(nxt, {handle: train_h}) for _ in range(3)]
            sess.run(valid_it.initializer)
            out += [sess.run(nxt, {handle: valid_h}) for _ in range(2)]
            out.append(sess.run(nxt, {handle: train_h}))  # the training stream goes on
        return np.array(out)


def make_callable(workdir):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None])
        total = tf.Variable(1.0)
        add = tf.assign_add(total, tf.reduce_sum(x))
        with tf.Session() as sess:
            sess.run(total.initializer)
            step = sess.make_callable(add, feed_list=[x])
            first = step(np.ones(3, np.float32))
            second = step([2.0])
            reset = sess.make_callable(tf.assign(total, 0.0).op)
            none = reset()
            return [first, second, sess.run(total), none]


def optimizers(workdir):
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        opts = [tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
                tf.train.RMSPropOptimizer(0.01, centered=True, momentum=0.5),
                tf.train.AdadeltaOptimizer(1.0),
                tf.train.FtrlOptimizer(0.1, l1_regularization_strength=0.01),
                tf.train.ProximalAdagradOptimizer(0.1, l2_regularization_strength=0.1),
                tf.train.AdagradDAOptimizer(0.1, step),
                tf.train.ProximalGradientDescentOptimizer(0.1,
                                                          l1_regularization_strength=0.01)]
        trains, variables = [], []
        for i, opt in enumerate(opts):
            with tf.variable_scope("opt%d" % i):
                dense = tf.get_variable("dense", [4],
                                        initializer=tf.random_normal_initializer(seed=i))
                table = tf.get_variable("table", [6, 2],
                                        initializer=tf.random_normal_initializer(seed=10 + i))
            loss = (tf.reduce_sum(tf.square(dense - 1.0))
                    + tf.reduce_sum(tf.square(tf.gather(table, [0, 2, 2]))))
            trains.append(opt.minimize(loss))
            variables += [dense, table]
        with tf.control_dependencies(trains):
            train = tf.assign_add(step, 1)
        slots = sorted(v.op.name for v in tf.global_variables())
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(3):
                sess.run(train)
            return sess.run(variables) + [slots]


def losses(workdir):
    with tf.Graph().as_default():
        x = tf.constant(np.random.RandomState(0).rand(4, 3).astype(np.float32))
        w1 = tf.get_variable("w1", [3, 5], initializer=tf.glorot_uniform_initializer(seed=1),
                             regularizer=lambda w: 0.1 * tf.nn.l2_loss(w))
        w2 = tf.get_variable("w2", [5, 3], initializer=tf.glorot_uniform_initializer(seed=2))
        logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1)), w2)
        labels = tf.constant([0, 2, 1, 2])
        onehot = tf.one_hot(labels, 3)
        values = [
            tf.losses.softmax_cross_entropy(onehot, logits, label_smoothing=0.1),
            tf.losses.sparse_softmax_cross_entropy(labels, logits,
                                                   weights=[1.0, 2.0, 0.0, 1.0]),
            tf.losses.sigmoid_cross_entropy(onehot, logits),
            tf.losses.huber_loss(onehot, logits, delta=0.5),
            tf.losses.hinge_loss(onehot, logits),
            tf.losses.mean_pairwise_squared_error(onehot, logits),
            tf.losses.cosine_distance(tf.nn.l2_normalize(onehot, 1),
                                      tf.nn.l2_normalize(logits, 1), axis=1),
            tf.losses.absolute_difference(onehot, logits,
                                          reduction=tf.losses.Reduction.SUM),
            tf.losses.log_loss(onehot, tf.sigmoid(logits)),
            tf.losses.get_total_loss(),
            tf.losses.get_regularization_loss()]
        count = len(tf.get_collection(tf.GraphKeys.LOSSES))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return sess.run(values) + [count]


def ema_shadow_restore(workdir):
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        step = tf.train.get_or_create_global_step()
        ema = tf.train.ExponentialMovingAverage(0.5, num_updates=step)
        with tf.control_dependencies([tf.assign_add(v, 1.0), tf.assign_add(step, 1)]):
            train = ema.apply([v])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(3):
                sess.run(train)
            path = tf.train.Saver().save(sess, os.path.join(workdir, "model"))
            trained = sess.run([v, ema.average(v)])
    with tf.Graph().as_default():
        v = tf.Variable(0.0, name="v")
        saver = tf.train.Saver(tf.train.ExponentialMovingAverage(0.5).variables_to_restore())
        with tf.Session() as sess:
            saver.restore(sess, path)
            return trained + [sess.run(v)]


def seeded_input_producer(workdir):
    with tf.Graph().as_default():
        tf.set_random_seed(11)
        data = tf.constant(np.arange(40, dtype=np.float32).reshape(20, 2))
        labels = tf.constant(np.arange(20))
        x, y = tf.train.slice_input_producer([data, labels], shuffle=True, seed=3)
        batch_x, batch_y = tf.train.batch([x, y], batch_size=4, num_threads=1, capacity=8)
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            out = [sess.run([batch_x, batch_y]) for _ in range(4)]
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=5)
        return out


def parsing(workdir):
    with tf.Graph().as_default():
        example = tf.train.Example(features=tf.train.Features(feature={
            "ids": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, 2, 3])),
            "score": tf.train.Feature(float_list=tf.train.FloatList(value=[0.5])),
            "name": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"hi"]))}))
        serialized = tf.placeholder(tf.string, [])
        parsed = tf.parse_single_example(serialized, {
            "ids": tf.VarLenFeature(tf.int64),
            "score": tf.FixedLenFeature([1], tf.float32),
            "name": tf.FixedLenFeature([], tf.string),
            "missing": tf.FixedLenFeature([2], tf.float32, default_value=[7.0, 8.0])})
        lines = tf.placeholder(tf.string, [None])
        columns = tf.decode_csv(lines, record_defaults=[[0], [0.0], ["x"]])
        words = tf.string_split(tf.constant(["a b", "c d e"]))
        with tf.Session() as sess:
            p = sess.run(parsed, {serialized: example.SerializeToString()})
            c = sess.run(columns, {lines: ["1,2.5,z", "3,,w"]})
            w = sess.run(words)
            try:
                sess.run(columns, {lines: ["1,2"]})
                error = None
            except tf.errors.InvalidArgumentError as e:
                error = type(e).__name__
        return [p["ids"].values, p["ids"].indices, p["score"], p["name"], p["missing"],
                *c, w.values, w.indices, error]


def loop_gradients(workdir):
    with tf.Graph().as_default():
        x = tf.Variable([1.0, 2.0])
        _, acc = tf.while_loop(lambda i, a: i < 4, lambda i, a: (i + 1, a * x + 1.0),
                               [tf.constant(0), tf.ones([2])], parallel_iterations=1)
        grad = tf.gradients(tf.reduce_sum(acc), x)
        folded = tf.foldl(lambda a, e: a * 2.0 + e, tf.constant([1.0, 2.0, 3.0]))
        scanned = tf.scan(lambda a, e: a + e * x, tf.constant([1.0, 2.0]),
                          initializer=tf.zeros([2]))
        scan_grad = tf.gradients(tf.reduce_sum(scanned), x)
        with tf.Session() as sess:
            sess.run(x.initializer)
            return sess.run([acc, grad, folded, scanned, scan_grad])


def scatter_local_variables(workdir):
    with tf.Graph().as_default():
        local = tf.Variable(tf.zeros([5]), collections=[tf.GraphKeys.LOCAL_VARIABLES],
                            trainable=False)
        updates = [tf.scatter_update(local, [1, 3], [7.0, 9.0]),
                   tf.scatter_nd_update(local, [[0], [4]], [1.0, 2.0]),
                   tf.scatter_sub(local, [3], [4.0]),
                   tf.scatter_max(local, [0, 2], [0.5, 3.0])]
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            seen = [sess.run(u) for u in updates]
            return seen + [len(tf.global_variables()), len(tf.local_variables())]


def cond_side_effects(workdir):
    with tf.Graph().as_default():
        v = tf.Variable(0.0)
        taken = tf.placeholder(tf.bool, [])
        result = tf.cond(taken, lambda: tf.assign_add(v, 1.0), lambda: tf.assign_sub(v, 10.0))
        with tf.Session() as sess:
            sess.run(v.initializer)
            out = [sess.run(result, {taken: flag}) for flag in (True, True, False)]
            return out + [sess.run(v)]


def numpy_function(workdir):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None])
        calls = []

        def affine(a):
            calls.append(len(a))
            return (a * 2 + 1).astype(np.float32)

        y = tf.numpy_function(affine, [x], tf.float32)
        z = tf.py_func(lambda a: a[::-1].copy(), [y], tf.float32)
        with tf.Session() as sess:
            out = sess.run([y, z], {x: [1.0, 2.0, 3.0]})
            sess.run(z, {x: [4.0]})
        return out + [calls]


IDIOMS = [reinitializable_iterator, feedable_iterator, make_callable, optimizers, losses,
          ema_shadow_restore, seeded_input_producer, parsing, loop_gradients,
          scatter_local_variables, cond_side_effects, numpy_function]


def main(session_factory, workdir):
    """{idiom: result}; every idiom builds its own graph and sessions."""
    out = {}
    for idiom in IDIOMS:
        directory = os.path.join(workdir, idiom.__name__)
        os.makedirs(directory, exist_ok=True)
        out[idiom.__name__] = idiom(directory)
    return out
