"""texar 0.2.4: an RNN seq2seq model (WordEmbedder, UnidirectionalRNNEncoder,
BasicRNNDecoder with teacher forcing, sequence_sparse_softmax_cross_entropy,
tx.core.get_train_op with Adam) learning to copy short sequences, greedy decoding
after training; an UnidirectionalRNNClassifier trained beside it (after texar's
README and examples/seq2seq_rl, examples/sentence_classifier)."""
import json
import os

import numpy as np
import tensorflow as tf
import texar.tf as tx

tf.set_random_seed(1)
rng = np.random.RandomState(0)
VOCAB, LEN, BATCH, BOS, EOS = 12, 6, 32, 1, 2
src = rng.randint(3, VOCAB, size=(BATCH, LEN)).astype(np.int32)
tgt_in = np.concatenate([np.full((BATCH, 1), BOS, np.int32), src], axis=1)
tgt_out = np.concatenate([src, np.full((BATCH, 1), EOS, np.int32)], axis=1)
lengths = np.full(BATCH, LEN + 1, np.int32)
labels = (src[:, 0] > 7).astype(np.int32)

src_ph = tf.placeholder(tf.int32, [None, LEN])
tgt_in_ph = tf.placeholder(tf.int32, [None, LEN + 1])
tgt_out_ph = tf.placeholder(tf.int32, [None, LEN + 1])
len_ph = tf.placeholder(tf.int32, [None])
label_ph = tf.placeholder(tf.int32, [None])

cell = {"type": "LSTMCell", "kwargs": {"num_units": 32}}
embedder = tx.modules.WordEmbedder(vocab_size=VOCAB, hparams={"dim": 16})
encoder = tx.modules.UnidirectionalRNNEncoder(hparams={"rnn_cell": cell})
decoder = tx.modules.BasicRNNDecoder(vocab_size=VOCAB, hparams={"rnn_cell": cell})

_, enc_state = encoder(embedder(src_ph), sequence_length=tf.fill([tf.shape(src_ph)[0]], LEN))
outputs, _, _ = decoder(decoding_strategy="train_greedy", initial_state=enc_state,
                        inputs=embedder(tgt_in_ph), sequence_length=len_ph)
loss = tx.losses.sequence_sparse_softmax_cross_entropy(
    labels=tgt_out_ph, logits=outputs.logits, sequence_length=len_ph)
train_op = tx.core.get_train_op(
    loss, hparams={"optimizer": {"type": "AdamOptimizer",
                                 "kwargs": {"learning_rate": 0.01}}})

infer, _, infer_len = decoder(
    decoding_strategy="infer_greedy", initial_state=enc_state, embedding=embedder,
    start_tokens=tf.fill([tf.shape(src_ph)[0]], BOS), end_token=EOS,
    max_decoding_length=LEN + 2)

classifier = tx.modules.UnidirectionalRNNClassifier(
    hparams={"rnn_cell": cell, "num_classes": 2, "clas_strategy": "final_time"})
clas_logits, clas_pred = classifier(embedder(src_ph))
clas_loss = tf.losses.sparse_softmax_cross_entropy(labels=label_ph, logits=clas_logits)
clas_train = tf.train.AdamOptimizer(0.01).minimize(clas_loss)
accuracy = tx.evals.accuracy(label_ph, clas_pred)

feed = {src_ph: src, tgt_in_ph: tgt_in, tgt_out_ph: tgt_out, len_ph: lengths,
        label_ph: labels}
losses, clas_losses = [], []
with tf.Session() as sess:
    sess.run([tf.global_variables_initializer(), tf.local_variables_initializer(),
              tf.tables_initializer()])
    acc_before = float(sess.run(accuracy, feed))
    for step in range(60):
        value, _, cvalue, _ = sess.run([loss, train_op, clas_loss, clas_train], feed)
        losses.append(float(value))
        clas_losses.append(float(cvalue))
    ids, ids_len, acc_after = sess.run([infer.sample_id, infer_len, accuracy], feed)
    emb = sess.run(embedder.embedding)
    names = sorted(v.name for v in tf.trainable_variables())

copied = float(np.mean(ids[:, :LEN] == src)) if ids.shape[1] >= LEN else 0.0
with open(os.environ["CORPUS_OUT"], "w") as f:
    json.dump({"loss": losses, "clas_loss": clas_losses, "acc_before": acc_before,
               "acc_after": float(acc_after), "copied": copied,
               "sample_id": ids.tolist(), "infer_len": ids_len.tolist(),
               "embedding": emb[:3].tolist(), "variables": names}, f)
