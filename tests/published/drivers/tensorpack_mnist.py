"""tensorpack 0.11: a ModelDesc (conv + fully-connected layers from tensorpack.models,
argscope, regularization, summaries) trained with SimpleTrainer and launch_train_with_config
on a seeded synthetic image data set (DataFromList + BatchData), then OfflinePredictor
(after tensorpack's examples/basics/mnist-convnet.py)."""
import json
import os

import numpy as np
import tensorflow as tf
from tensorpack import (BatchData, Callback, DataFromList, LinearWrap, ModelDesc, ModelSaver,
                        OfflinePredictor,
                        PredictConfig, SimpleTrainer, TrainConfig, argscope,
                        launch_train_with_config, logger)
from tensorpack.models import Conv2D, regularize_cost
from tensorpack.tfutils.sessinit import SmartInit

rng = np.random.RandomState(0)
IMAGES = rng.rand(256, 12, 12).astype(np.float32)
LABELS = (IMAGES[:, :6].mean(axis=(1, 2)) > IMAGES[:, 6:].mean(axis=(1, 2))).astype(np.int32)


class Model(ModelDesc):
    def inputs(self):
        return [tf.TensorSpec((None, 12, 12), tf.float32, "input"),
                tf.TensorSpec((None,), tf.int32, "label")]

    def build_graph(self, image, label):
        image = tf.expand_dims(image * 2 - 1, 3)
        with argscope(Conv2D, kernel_size=3, activation=tf.nn.relu, filters=8):
            logits = (LinearWrap(image)
                      .Conv2D("conv0")
                      .MaxPooling("pool0", 2)
                      .Conv2D("conv1")
                      .FullyConnected("fc0", 16, activation=tf.nn.relu)
                      .FullyConnected("fc1", 2, activation=tf.identity)())
        tf.nn.softmax(logits, name="prob")
        cost = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            logits=logits, labels=label), name="cross_entropy_loss")
        wd_cost = regularize_cost("fc.*/W", tf.nn.l2_loss, name="regularize_loss")
        return tf.add_n([cost, 1e-4 * wd_cost], name="total_cost")

    def optimizer(self):
        return tf.train.AdamOptimizer(0.01)


class RecordLoss(Callback):
    def __init__(self):
        self.losses = []

    def _setup_graph(self):
        self._cost = self.trainer.tower_func.towers[0]["total_cost"]

    def _before_run(self, _):
        return [self._cost]

    def _after_run(self, _, values):
        self.losses.append(float(values.results[0]))


logger.set_logger_dir(os.path.join(os.getcwd(), "tensorpack_log"), action="d")
tf.set_random_seed(0)
record = RecordLoss()
data = BatchData(DataFromList([[img, lab] for img, lab in zip(IMAGES, LABELS)], shuffle=False),
                 32)
config = TrainConfig(model=Model(), dataflow=data, callbacks=[record, ModelSaver()], max_epoch=6,
                     session_init=None)
launch_train_with_config(config, SimpleTrainer())

predictor = OfflinePredictor(PredictConfig(
    model=Model(), session_init=SmartInit(tf.train.latest_checkpoint(logger.get_logger_dir())),
    input_names=["input"], output_names=["prob"]))
prob, = predictor(IMAGES[:64])
accuracy = float((prob.argmax(1) == LABELS[:64]).mean())

with open(os.environ["CORPUS_OUT"], "w") as f:
    json.dump({"loss": record.losses, "accuracy": accuracy, "prob": prob.tolist()}, f)
