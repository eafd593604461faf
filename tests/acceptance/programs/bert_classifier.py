"""BERT's run_classifier flow (2018-2019, tf.contrib.tpu.TPUEstimator with use_tpu=False):
TFRecord features written with tf.python_io, a file-based input_fn with
tf.contrib.data.map_and_batch, a model_fn builder returning TPUEstimatorSpecs (dropout,
polynomial decay, clip_by_global_norm, eval metric_fn), train / evaluate / predict and the
eval results written with tf.gfile. Only the import line changed."""

import collections
import os

import numpy as np

import compat.v1 as tf

SEQ = 8


def file_based_convert(path, n, seed):
    rng = np.random.RandomState(seed)
    writer = tf.python_io.TFRecordWriter(path)
    for i in range(n):
        ids = rng.randint(1, 50, SEQ).tolist()
        f = collections.OrderedDict()
        f["input_ids"] = tf.train.Feature(int64_list=tf.train.Int64List(value=ids))
        f["input_mask"] = tf.train.Feature(int64_list=tf.train.Int64List(value=[1] * SEQ))
        f["label_ids"] = tf.train.Feature(int64_list=tf.train.Int64List(value=[ids[0] % 2]))
        writer.write(tf.train.Example(features=tf.train.Features(feature=f)).SerializeToString())
    writer.close()


def file_based_input_fn_builder(input_file, is_training, drop_remainder):
    name_to_features = {
        "input_ids": tf.FixedLenFeature([SEQ], tf.int64),
        "input_mask": tf.FixedLenFeature([SEQ], tf.int64),
        "label_ids": tf.FixedLenFeature([], tf.int64),
    }

    def _decode_record(record, name_to_features):
        example = tf.parse_single_example(record, name_to_features)
        for name in list(example.keys()):
            t = example[name]
            if t.dtype == tf.int64:
                t = tf.to_int32(t)
            example[name] = t
        return example

    def input_fn(params):
        batch_size = params["batch_size"]
        d = tf.data.TFRecordDataset(input_file)
        if is_training:
            d = d.repeat()
            d = d.shuffle(buffer_size=100, seed=1)
        d = d.apply(
            tf.contrib.data.map_and_batch(
                lambda record: _decode_record(record, name_to_features),
                batch_size=batch_size,
                drop_remainder=drop_remainder,
            )
        )
        return d

    return input_fn


def model_fn_builder(num_labels, learning_rate, num_train_steps, use_tpu):
    def model_fn(features, labels, mode, params):
        tf.logging.info("*** Features ***")
        for name in sorted(features.keys()):
            tf.logging.info("  name = %s, shape = %s" % (name, features[name].shape))
        input_ids = features["input_ids"]
        label_ids = features["label_ids"]
        is_training = mode == tf.estimator.ModeKeys.TRAIN
        emb = tf.get_variable(
            "word_embeddings", [50, 16], initializer=tf.truncated_normal_initializer(stddev=0.02)
        )
        x = tf.reduce_mean(tf.nn.embedding_lookup(emb, input_ids), axis=1)
        if is_training:
            x = tf.nn.dropout(x, keep_prob=0.9)
        output_weights = tf.get_variable(
            "output_weights",
            [num_labels, 16],
            initializer=tf.truncated_normal_initializer(stddev=0.02),
        )
        output_bias = tf.get_variable(
            "output_bias", [num_labels], initializer=tf.zeros_initializer()
        )
        logits = tf.nn.bias_add(tf.matmul(x, output_weights, transpose_b=True), output_bias)
        probabilities = tf.nn.softmax(logits, axis=-1)
        log_probs = tf.nn.log_softmax(logits, axis=-1)
        one_hot_labels = tf.one_hot(label_ids, depth=num_labels, dtype=tf.float32)
        per_example_loss = -tf.reduce_sum(one_hot_labels * log_probs, axis=-1)
        total_loss = tf.reduce_mean(per_example_loss)
        tvars = tf.trainable_variables()
        scaffold_fn = None
        if mode == tf.estimator.ModeKeys.TRAIN:
            global_step = tf.train.get_or_create_global_step()
            lr = tf.train.polynomial_decay(
                tf.constant(value=learning_rate, shape=[], dtype=tf.float32),
                global_step,
                num_train_steps,
                end_learning_rate=0.0,
                power=1.0,
                cycle=False,
            )
            optimizer = tf.train.AdamOptimizer(lr)
            grads = tf.gradients(total_loss, tvars)
            (grads, _) = tf.clip_by_global_norm(grads, clip_norm=1.0)
            # BERT's AdamWeightDecayOptimizer left the step to the caller, which grouped
            # `global_step.assign(global_step + 1)` with the update, unordered against the
            # learning rate's read of the step: the numbers then depend on the runtime's
            # op order (a v1 Session varies from run to run). Here the optimizer counts.
            train_op = optimizer.apply_gradients(zip(grads, tvars), global_step=global_step)
            return tf.contrib.tpu.TPUEstimatorSpec(
                mode=mode, loss=total_loss, train_op=train_op, scaffold_fn=scaffold_fn
            )
        elif mode == tf.estimator.ModeKeys.EVAL:

            def metric_fn(per_example_loss, label_ids, logits):
                predictions = tf.argmax(logits, axis=-1, output_type=tf.int32)
                accuracy = tf.metrics.accuracy(labels=label_ids, predictions=predictions)
                loss = tf.metrics.mean(values=per_example_loss)
                return {"eval_accuracy": accuracy, "eval_loss": loss}

            return tf.contrib.tpu.TPUEstimatorSpec(
                mode=mode,
                loss=total_loss,
                eval_metrics=(metric_fn, [per_example_loss, label_ids, logits]),
                scaffold_fn=scaffold_fn,
            )
        return tf.contrib.tpu.TPUEstimatorSpec(
            mode=mode, predictions={"probabilities": probabilities}, scaffold_fn=scaffold_fn
        )

    return model_fn


def main(output_dir):
    """Trains 20 steps, evaluates and predicts; returns results and the trained weights."""
    file_based_convert(os.path.join(output_dir, "train.tf_record"), 64, 0)
    file_based_convert(os.path.join(output_dir, "eval.tf_record"), 16, 1)
    is_per_host = tf.contrib.tpu.InputPipelineConfig.PER_HOST_V2
    run_config = tf.contrib.tpu.RunConfig(
        cluster=None,
        master=None,
        model_dir=output_dir,
        save_checkpoints_steps=10,
        tf_random_seed=12,
        tpu_config=tf.contrib.tpu.TPUConfig(
            iterations_per_loop=10, num_shards=8, per_host_input_for_training=is_per_host
        ),
    )
    estimator = tf.contrib.tpu.TPUEstimator(
        use_tpu=False,
        model_fn=model_fn_builder(2, 5e-3, 20, False),
        config=run_config,
        train_batch_size=8,
        eval_batch_size=8,
        predict_batch_size=8,
    )
    tf.logging.info("***** Running training *****")
    estimator.train(
        input_fn=file_based_input_fn_builder(
            os.path.join(output_dir, "train.tf_record"), True, True
        ),
        max_steps=20,
    )
    result = estimator.evaluate(
        input_fn=file_based_input_fn_builder(
            os.path.join(output_dir, "eval.tf_record"), False, False
        ),
        steps=None,
    )
    with tf.gfile.GFile(os.path.join(output_dir, "eval_results.txt"), "w") as writer:
        for key in sorted(result.keys()):
            writer.write("%s = %s\n" % (key, str(result[key])))
    probabilities = [
        p["probabilities"]
        for p in estimator.predict(
            input_fn=file_based_input_fn_builder(
                os.path.join(output_dir, "eval.tf_record"), False, False
            )
        )
    ]
    weights = {
        name: estimator.get_variable_value(name)
        for name in ("word_embeddings", "output_weights", "output_bias")
    }
    return result, np.stack(probabilities), weights
