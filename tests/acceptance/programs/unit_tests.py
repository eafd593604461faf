"""TF 1.x unit tests written against tf.test.TestCase, as TF 1.x's testing guide and
TensorFlow's own op tests wrote them (only the import line changed)."""

import numpy as np

import compat.v1 as tf


class SquareTest(tf.test.TestCase):

    def testSquare(self):
        # the TF 1.x guide's example
        with self.test_session():
            x = tf.square([2, 3])
            self.assertAllEqual(x.eval(), [4, 9])

    def testFeedAndFetch(self):
        with self.cached_session() as sess:
            x = tf.placeholder(tf.float32, [None])
            y = x * 2.0 + 1.0
            self.assertAllClose(sess.run(y, feed_dict={x: [1.0, 2.0]}), [3.0, 5.0])
            self.assertAllClose(y.eval(feed_dict={x: [0.5]}), [2.0])

    def testCachedSessionIsReused(self):
        with self.cached_session() as first:
            pass
        with self.cached_session() as second:
            self.assertIs(first, second)

    def testEmptyDefaultGraphPerTest(self):
        self.assertEqual(tf.get_default_graph().get_operations(), [])
        tf.constant(1.0, name="leftover")

    def testEmptyDefaultGraphPerTestAgain(self):
        self.assertEqual(tf.get_default_graph().get_operations(), [])
        tf.constant(1.0, name="leftover")


class TrainingTest(tf.test.TestCase):

    def testGradientDescentStep(self):
        w = tf.get_variable("w", [2], initializer=tf.constant_initializer([1.0, -1.0]))
        x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        loss = tf.reduce_sum(tf.square(tf.matmul(x, tf.expand_dims(w, 1))))
        step = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
        with self.session() as sess:
            sess.run(tf.global_variables_initializer())
            before = self.evaluate(loss)
            step.run()
            self.assertLess(self.evaluate(loss), before)
            # d loss / d w = 2 x^T x w at w = [1, -1]: x w = [-1, -1]
            self.assertAllClose(w.eval(), [1.0 - 0.01 * 2 * -4.0, -1.0 - 0.01 * 2 * -6.0])

    def testEvaluateWithoutSession(self):
        v = tf.Variable(3.0)
        self.evaluate(v.initializer)
        self.assertEqual(self.evaluate(v * 2.0), 6.0)
        self.assertEqual(self.evaluate([v, {"twice": v + v}]), [3.0, {"twice": 6.0}])

    def testSessionOnOwnGraph(self):
        graph = tf.Graph()
        with graph.as_default():
            c = tf.constant([1, 2, 3])
        with self.session(graph=graph) as sess:
            self.assertIs(sess.graph, graph)
            self.assertAllEqual(sess.run(tf.reduce_sum(c)), 6)


class ErrorsTest(tf.test.TestCase):

    def testOpError(self):
        with self.cached_session():
            x = tf.placeholder(tf.float32, [None])
            i = tf.placeholder(tf.int32, [])
            with self.assertRaisesOpError(r"indices = 5 is not in \[0, 1\)"):
                tf.gather(x, i).eval(feed_dict={x: [1.0], i: 5})

    def testUninitializedVariable(self):
        v = tf.Variable(1.0)
        with self.cached_session():
            with self.assertRaises(tf.errors.FailedPreconditionError):
                v.eval()

    def testEndOfIterator(self):
        dataset = tf.data.Dataset.from_tensor_slices(np.arange(3, dtype=np.int64))
        nxt = tf.data.make_one_shot_iterator(dataset.batch(2)).get_next()
        with self.cached_session() as sess:
            self.assertAllEqual(sess.run(nxt), [0, 1])
            self.assertAllEqual(sess.run(nxt), [2])
            with self.assertRaises(tf.errors.OutOfRangeError):
                sess.run(nxt)


class GradientCheckTest(tf.test.TestCase):

    def testSquareGradient(self):
        with self.cached_session():
            x = tf.constant([[1.0, 2.0], [3.0, 4.0]], dtype=tf.float64)
            y = tf.square(x) * 2.0
            error = tf.test.compute_gradient_error(x, [2, 2], y, [2, 2])
            self.assertLess(error, 1e-6)


if __name__ == "__main__":
    tf.test.main()
