"""A 2018 NMT-tutorial-style TF 1.x program (tensorflow/nmt's structure): separate
train and inference graphs sharing one checkpoint. Training: embeddings, a
bidirectional LSTM encoder, a Luong-attention LSTM decoder (AttentionWrapper, output
projection) with TrainingHelper, contrib.seq2seq.sequence_loss, Adam with gradient
clipping, Saver. Inference (new graph, restored): greedy decoding and beam search with
tiled memory and state, length penalty, alignment history. The task is reversing a
sequence of tokens. Only the import line is changed by the tests."""
import os

import numpy as np
import compat.v1 as tf  # the one line a migration changes

VOCAB, SOS, EOS, UNITS, BEAMS = 10, 1, 0, 16, 3
rng = np.random.RandomState(5)
SOURCE = rng.randint(2, VOCAB, (64, 5)).astype(np.int32)
TARGET = SOURCE[:, ::-1]


def _encode(source, lengths):
    embedding = tf.get_variable("embedding", [VOCAB, UNITS])
    with tf.variable_scope("encoder"):
        inputs = tf.nn.embedding_lookup(embedding, source)
        (fw, bw), (fw_state, bw_state) = tf.nn.bidirectional_dynamic_rnn(
            tf.nn.rnn_cell.LSTMCell(UNITS // 2), tf.nn.rnn_cell.LSTMCell(UNITS // 2),
            inputs, sequence_length=lengths, dtype=tf.float32)
        outputs = tf.concat([fw, bw], -1)
        state = tf.nn.rnn_cell.LSTMStateTuple(tf.concat([fw_state.c, bw_state.c], -1),
                                              tf.concat([fw_state.h, bw_state.h], -1))
    return embedding, outputs, state


def _decoder_cell(memory, lengths, batch, state, beams=1):
    if beams > 1:
        memory = tf.contrib.seq2seq.tile_batch(memory, beams)
        lengths = tf.contrib.seq2seq.tile_batch(lengths, beams)
        state = tf.contrib.seq2seq.tile_batch(state, beams)
    attention = tf.contrib.seq2seq.LuongAttention(UNITS, memory,
                                                  memory_sequence_length=lengths, scale=True)
    cell = tf.contrib.seq2seq.AttentionWrapper(
        tf.nn.rnn_cell.LSTMCell(UNITS), attention, attention_layer_size=UNITS,
        alignment_history=beams == 1, name="attention")
    initial = cell.zero_state(batch * beams, tf.float32).clone(cell_state=state)
    return cell, initial


def train(workdir, steps=40):
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        source = tf.placeholder(tf.int32, [None, 5], name="source")
        target = tf.placeholder(tf.int32, [None, 5], name="target")
        batch = tf.shape(source)[0]
        lengths = tf.fill([batch], 5)
        embedding, memory, state = _encode(source, lengths)
        with tf.variable_scope("decoder") as scope:
            cell, initial = _decoder_cell(memory, lengths, batch, state)
            decoder_inputs = tf.concat([tf.fill([batch, 1], SOS), target[:, :-1]], 1)
            helper = tf.contrib.seq2seq.TrainingHelper(
                tf.nn.embedding_lookup(embedding, decoder_inputs), lengths)
            projection = tf.layers.Dense(VOCAB, use_bias=False, name="output_projection")
            decoder = tf.contrib.seq2seq.BasicDecoder(cell, helper, initial, projection)
            outputs, _, _ = tf.contrib.seq2seq.dynamic_decode(decoder, scope=scope)
        loss = tf.contrib.seq2seq.sequence_loss(outputs.rnn_output, target,
                                                tf.ones([batch, 5]))
        step = tf.train.get_or_create_global_step()
        optimizer = tf.train.AdamOptimizer(0.02)
        grads, variables = zip(*optimizer.compute_gradients(loss))
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        train_op = optimizer.apply_gradients(zip(grads, variables), global_step=step)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            losses = []
            for i in range(steps):
                rows = slice((i * 16) % 64, (i * 16) % 64 + 16)
                losses.append(sess.run([loss, train_op], {source: SOURCE[rows],
                                                          target: TARGET[rows]})[0])
            path = saver.save(sess, os.path.join(workdir, "nmt"), global_step=step)
        names = sorted(v.op.name for v in tf.trainable_variables())
    return np.array(losses), path, names


def infer(path, sources):
    with tf.Graph().as_default():
        source = tf.placeholder(tf.int32, [None, 5], name="source")
        batch = tf.shape(source)[0]
        lengths = tf.fill([batch], 5)
        embedding, memory, state = _encode(source, lengths)
        start = tf.fill([batch], SOS)
        results = {}
        with tf.variable_scope("decoder") as scope:
            projection = tf.layers.Dense(VOCAB, use_bias=False, name="output_projection")
            cell, initial = _decoder_cell(memory, lengths, batch, state)
            helper = tf.contrib.seq2seq.GreedyEmbeddingHelper(embedding, start, EOS)
            greedy = tf.contrib.seq2seq.BasicDecoder(cell, helper, initial, projection)
            outputs, final, _ = tf.contrib.seq2seq.dynamic_decode(
                greedy, maximum_iterations=5, scope=scope)
            results["greedy"] = outputs.sample_id
            results["alignments"] = final.alignment_history.stack()
        with tf.variable_scope("decoder", reuse=True) as scope:
            cell, initial = _decoder_cell(memory, lengths, batch, state, BEAMS)
            beam = tf.contrib.seq2seq.BeamSearchDecoder(
                cell, embedding, start, EOS, initial, BEAMS, output_layer=projection,
                length_penalty_weight=0.4)
            outputs, final, _ = tf.contrib.seq2seq.dynamic_decode(
                beam, maximum_iterations=5, scope=scope)
            results["beam"] = outputs.predicted_ids
            results["beam_scores"] = outputs.beam_search_decoder_output.scores[:, -1]
        saver = tf.train.Saver()
        with tf.Session() as sess:
            saver.restore(sess, path)
            return sess.run(results, {source: sources})


def main(session_factory, workdir):
    losses, path, names = train(workdir)
    decoded = infer(path, SOURCE[:8])
    return {"losses": losses, "names": names, "checkpoint": os.path.basename(path),
            **decoded}
