"""TF1 documentation-style module-level code: variables and their methods used at the
top level of a script (assign / assign_add / scatter / count_up_to /
initialized_value / slicing / operators). Only the import line is changed by the
tests (compat.v1 vs tensorflow.compat.v1)."""
import numpy as np
import compat.v1 as tf  # the one line a migration changes

counter = tf.Variable(0, name="counter")
weights = tf.Variable(tf.random_normal([3, 2], seed=7), name="weights")
# initializing one variable from another (TF1 guide: "Initializing from another variable")
weights_twice = tf.Variable(weights.initialized_value() * 2.0, name="weights_twice")
table = tf.get_variable("table", [4], initializer=tf.ones_initializer())
new_value = tf.placeholder(tf.float32, [3, 2], name="new_value")

increment = counter.assign_add(1)
assign = weights.assign(new_value)
halve = weights.assign_sub(weights * 0.5)
scatter = table.scatter_add(tf.IndexedSlices(tf.constant([10.0, 20.0]), tf.constant([1, 3])))
limited = tf.Variable(0, name="limited").count_up_to(2)
row = weights[1]
first_two = table[:2] + 1.0
init = tf.global_variables_initializer()


def main(session_factory):
    feed = np.arange(6, dtype=np.float32).reshape(3, 2)
    with session_factory() as sess:
        sess.run(init)
        start = sess.run([weights, weights_twice])
        for _ in range(3):
            sess.run(increment)
        sess.run(assign, {new_value: feed})
        sess.run(halve)
        sess.run(scatter)
        counted = [sess.run(limited), sess.run(limited)]
        try:
            sess.run(limited)
            limit_error = None
        except tf.errors.OutOfRangeError as e:
            limit_error = type(e).__name__
        return dict(start=start[0], twice=start[1], counter=sess.run(counter),
                    weights=sess.run(weights), row=sess.run(row),
                    table=sess.run(table), first_two=sess.run(first_two),
                    counted=counted, limit_error=limit_error)
