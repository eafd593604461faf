"""TF1 behaviours as TensorFlow 1.x documented them, each in a graph and session of its
own: queue runners and input producers, MonitoredTrainingSession with a stop hook and
resumed from its checkpoints (logging / NaN hooks, summaries), Supervisor,
SessionManager and SingularMonitoredSession, while_loop / cond, summaries to a
FileWriter, py_func, learning-rate decay, partial runs, make_template, a MetaGraph export
and import, a frozen GraphDef, a TF1 SavedModel, Saver retention, sparse placeholders,
lookup tables, gradients, tf.metrics. Only the import line is changed by the tests
(compat.v1 vs tensorflow.compat.v1)."""
import glob
import os

import numpy as np
import compat.v1 as tf  # the one line a migration changes


def _linear():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w = tf.get_variable("w", [2, 1], initializer=tf.constant_initializer([[1.0], [2.0]]))
    return x, w, tf.identity(tf.matmul(x, w), name="y")


def _run_with_queue_runners(fetch):
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord=coord)
        out = sess.run(fetch)
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=5)
        return out


def queue_runner(workdir):
    with tf.Graph().as_default():
        q = tf.FIFOQueue(10, tf.float32, shapes=[])
        tf.train.add_queue_runner(tf.train.QueueRunner(
            q, [q.enqueue_many([tf.range(5, dtype=tf.float32)])]))
        return _run_with_queue_runners(q.dequeue_many(3))


def input_producer_batch(workdir):
    with tf.Graph().as_default():
        producer = tf.train.input_producer(tf.constant([[1.0], [2.0], [3.0]]),
                                           shuffle=False)
        return _run_with_queue_runners(tf.train.batch([producer.dequeue()], batch_size=2))


def monitored_training_session(workdir):
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        v = tf.Variable(1.0)
        train = tf.group(v.assign_add(1.0), tf.assign_add(step, 1))
        runs = 0
        with tf.train.MonitoredTrainingSession(
                checkpoint_dir=os.path.join(workdir, "monitored"),
                hooks=[tf.train.StopAtStepHook(last_step=3)]) as sess:
            while not sess.should_stop():
                sess.run(train)
                runs += 1
        return [runs, tf.train.latest_checkpoint(os.path.join(workdir, "monitored"))
                is not None]


def monitored_training_resume(workdir):
    """Train with hooks, checkpoints and summaries, stop, resume from the checkpoint
    directory, then restore the last checkpoint into a MonitoredSession."""
    def build():
        x = tf.placeholder(tf.float32, [None, 2])
        w = tf.get_variable("w", [2, 1], initializer=tf.zeros_initializer())
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0))
        tf.summary.scalar("loss", loss)
        step = tf.train.get_or_create_global_step()
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
        return x, w, loss, step, train

    for last_step in (5, 10):
        with tf.Graph().as_default():
            x, w, loss, step, train = build()
            hooks = [tf.train.StopAtStepHook(last_step=last_step),
                     tf.train.LoggingTensorHook({"loss": loss}, every_n_iter=2),
                     tf.train.NanTensorHook(loss)]
            with tf.train.MonitoredTrainingSession(
                    checkpoint_dir=workdir, hooks=hooks, save_summaries_steps=1,
                    save_checkpoint_steps=2, log_step_count_steps=1) as sess:
                while not sess.should_stop():
                    sess.run(train, {x: np.ones([4, 2], np.float32)})
    with tf.Graph().as_default():
        _, w, _, step, _ = build()
        creator = tf.train.ChiefSessionCreator(checkpoint_dir=workdir)
        with tf.train.MonitoredSession(session_creator=creator) as sess:
            restored = [sess.run(step), sess.run(w)]
    return [os.path.basename(tf.train.latest_checkpoint(workdir)),
            len(glob.glob(os.path.join(workdir, "events.*")))] + restored


def supervisor_and_session_manager(workdir):
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        bump = tf.assign_add(step, 1)
        sv = tf.train.Supervisor(logdir=os.path.join(workdir, "sv"), save_model_secs=0,
                                 save_summaries_secs=0)
        with sv.managed_session() as sess:
            for _ in range(3):
                sess.run(bump)
            supervised = sess.run(step)
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        sess = tf.train.SessionManager().prepare_session(
            "", init_op=tf.global_variables_initializer())
        prepared = sess.run(step)
        sess.close()
    with tf.Graph().as_default():
        v = tf.Variable(5.0)
        with tf.train.SingularMonitoredSession() as sess:
            singular = sess.run(v)
    return [supervised, prepared, singular]


def while_and_cond(workdir):
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [])
        _, total = tf.while_loop(lambda i, a: i < 5, lambda i, a: (i + 1, a + p),
                                 [tf.constant(0), tf.constant(0.0)])
        doubled = tf.cond(p > 0, lambda: total * 2, lambda: total)
        with tf.Session() as sess:
            return sess.run([total, doubled], {p: 1.5})


def summaries(workdir):
    logdir = os.path.join(workdir, "logs")
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [])
        tf.summary.scalar("x", x)
        tf.summary.histogram("h", tf.ones([3]) * x)
        merged = tf.summary.merge_all()
        writer = tf.summary.FileWriter(logdir, g)
        with tf.Session() as sess:
            for i in range(3):
                writer.add_summary(sess.run(merged, {x: float(i)}), i)
        writer.close()
    events = glob.glob(os.path.join(logdir, "events.*"))
    steps = sorted({e.step for e in tf.train.summary_iterator(events[0]) if e.summary.value})
    return [len(events), steps]


def py_func(workdir):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3])
        y = tf.py_func(lambda a: (a * 2).astype(np.float32), [x], tf.float32)
        with tf.Session() as sess:
            return sess.run(y, {x: [1, 2, 3]})


def exponential_decay(workdir):
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        lr = tf.train.exponential_decay(0.1, step, 10, 0.5, staircase=True)
        jump = tf.assign_add(step, 10)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            before = sess.run(lr)
            sess.run(jump)
            return [before, sess.run(lr)]


def partial_run(workdir):
    with tf.Graph().as_default():
        a = tf.placeholder(tf.float32, [])
        b = tf.placeholder(tf.float32, [])
        c = a + 1
        d = c * b
        with tf.Session() as sess:
            h = sess.partial_run_setup([c, d], [a, b])
            return [sess.partial_run(h, c, {a: 1.0}), sess.partial_run(h, d, {b: 3.0})]


def make_template(workdir):
    with tf.Graph().as_default():
        def scale(x):
            w = tf.get_variable("w", [], initializer=tf.constant_initializer(2.0))
            return x * w

        shared = tf.make_template("scale", scale)
        ys = [shared(tf.constant(1.0)), shared(tf.constant(3.0))]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return sess.run(ys) + [len(tf.global_variables())]


def meta_graph_round_trip(workdir):
    prefix = os.path.join(workdir, "meta", "model")
    with tf.Graph().as_default():
        _, w, _ = _linear()
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(w.assign([[3.0], [4.0]]))
            saver.save(sess, prefix)
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(prefix + ".meta")
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            return sess.run("y:0", {"x:0": [[1.0, 1.0]]})


def frozen_graph(workdir):
    with tf.Graph().as_default() as g:
        _linear()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            frozen = tf.graph_util.convert_variables_to_constants(
                sess, g.as_graph_def(), ["y"])
    tf.train.write_graph(frozen, workdir, "frozen.pb", as_text=False)
    with tf.Graph().as_default():
        graph_def = tf.GraphDef()
        with tf.gfile.GFile(os.path.join(workdir, "frozen.pb"), "rb") as f:
            graph_def.ParseFromString(f.read())
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            return [sess.run("y:0", {"x:0": [[1.0, 1.0]]}),
                    sorted({n.op for n in graph_def.node})]


def saved_model_v1(workdir):
    export = os.path.join(workdir, "saved_model")
    with tf.Graph().as_default():
        x, _, y = _linear()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.saved_model.simple_save(sess, export, inputs={"x": x}, outputs={"y": y})
    with tf.Graph().as_default():
        with tf.Session() as sess:
            meta = tf.saved_model.loader.load(sess, [tf.saved_model.tag_constants.SERVING],
                                              export)
            sig = meta.signature_def["serving_default"]
            return sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: [[1.0, 1.0]]})


def saver_retention(workdir):
    directory = os.path.join(workdir, "retention")
    with tf.Graph().as_default():
        _linear()
        step = tf.train.get_or_create_global_step()
        bump = tf.assign_add(step, 1)
        saver = tf.train.Saver(max_to_keep=2)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(4):
                sess.run(bump)
                saver.save(sess, os.path.join(directory, "m"), global_step=step)
        return [[os.path.basename(p) for p in saver.last_checkpoints],
                os.path.basename(tf.train.latest_checkpoint(directory)),
                sorted(os.path.basename(p) for p in glob.glob(os.path.join(directory,
                                                                           "m-*.index")))]


def sparse_placeholder(workdir):
    with tf.Graph().as_default():
        sp = tf.sparse_placeholder(tf.float32)
        dense = tf.sparse_tensor_to_dense(sp)
        w = tf.Variable(tf.ones([3, 2]))
        product = tf.sparse_tensor_dense_matmul(sp, w)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            value = tf.SparseTensorValue([[0, 0], [1, 2]], [1.0, 2.0], [2, 3])
            return sess.run([dense, product], {sp: value})


def lookup_table(workdir):
    with tf.Graph().as_default():
        table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            tf.constant(["a", "b"]), tf.constant([1, 2], tf.int64)), -1)
        q = tf.placeholder(tf.string, [None])
        out = table.lookup(q)
        with tf.Session() as sess:
            sess.run(tf.tables_initializer())
            return sess.run(out, {q: ["a", "z", "b"]})


def gradients(workdir):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [])
        y = x * x + tf.stop_gradient(x) * 3
        with tf.Session() as sess:
            return sess.run(tf.gradients(y, x)[0], {x: 2.0})


def streaming_metrics(workdir):
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.int32, [None])
        preds = tf.placeholder(tf.int32, [None])
        acc, update = tf.metrics.accuracy(labels, preds)
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            sess.run(update, {labels: [1, 0], preds: [1, 1]})
            sess.run(update, {labels: [1], preds: [1]})
            return sess.run(acc)


BEHAVIOURS = [queue_runner, input_producer_batch, monitored_training_session,
              monitored_training_resume, supervisor_and_session_manager, while_and_cond,
              summaries, py_func, exponential_decay, partial_run, make_template,
              meta_graph_round_trip, frozen_graph, saved_model_v1, saver_retention,
              sparse_placeholder, lookup_table, gradients, streaming_metrics]


def main(session_factory, workdir):
    """{behaviour: result}; every behaviour builds its own graph and sessions."""
    out = {}
    for behaviour in BEHAVIOURS:
        directory = os.path.join(workdir, behaviour.__name__)
        os.makedirs(directory, exist_ok=True)
        out[behaviour.__name__] = behaviour(directory)
    return out
