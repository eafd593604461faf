"""A TF 1.x program on TF-Slim's model library (``tf.contrib.slim.nets``): a small
ResNet v1 assembled from ``resnet_v1_block``s under ``resnet_arg_scope`` (batch norm,
weight decay), trained with a momentum optimizer through ``create_train_op``. Built at
the script's top level. Only the import line is changed by the tests."""
import numpy as np
import compat.v1 as tf  # the import lines are what a migration changes
import compat.v1.contrib.slim as slim  # was: import tensorflow.contrib.slim as slim
from compat.v1.contrib.slim.nets import resnet_v1  # was: from tensorflow.contrib...

tf.set_random_seed(3)
IMAGES = np.random.RandomState(0).rand(2, 32, 32, 3).astype(np.float32)
images = tf.placeholder(tf.float32, [None, 32, 32, 3], name="images")
blocks = [resnet_v1.resnet_v1_block("block1", base_depth=4, num_units=2, stride=2),
          resnet_v1.resnet_v1_block("block2", base_depth=8, num_units=2, stride=1)]
with slim.arg_scope(resnet_v1.resnet_arg_scope()):
    logits, end_points = resnet_v1.resnet_v1(images, blocks, num_classes=10,
                                             is_training=True, global_pool=True,
                                             scope="tiny")
loss = tf.reduce_mean(tf.square(logits)) + tf.add_n(tf.losses.get_regularization_losses())
train_op = slim.learning.create_train_op(loss, tf.train.MomentumOptimizer(0.01, 0.9))
init = tf.global_variables_initializer()


def main(session_factory):
    with session_factory() as sess:
        sess.run(init)
        losses = [sess.run(train_op, {images: IMAGES}) for _ in range(3)]
        block1 = sess.run(end_points["tiny/block1"], {images: IMAGES})
    return dict(losses=np.array(losses), block1=block1, end_points=sorted(end_points),
                n_vars=len(tf.global_variables()))
