"""``tf.contrib.crf``: a linear-chain conditional random field, as TF1 sequence-tagging
code (BiLSTM-CRF and BERT-CRF taggers) used it.

Scores of a tag sequence ``y`` for potentials ``x`` [batch, time, tags] and transitions
``A`` [tags, tags], over the first ``length`` steps of each sequence::

    score(y) = sum_t x[t, y_t] + sum_{t >= 1} A[y_{t-1}, y_t]
    log_norm = log sum_y exp(score(y))           (the forward algorithm)
    log_likelihood = score(y) - log_norm

``crf_decode`` finds the highest-scoring sequence (Viterbi); tags past a sequence's
length are 0 (an empty sequence decodes as its first step, as in TF 1.15). Sequences of
length 0 have likelihood score 0. Written after TF 1.15's documented
behaviour and signatures; the loops are ``tf.scan`` over time (TF 1.15 used
dynamic_rnn with its own cells, which are not provided), so the numbers are TF1's up
to float rounding. Tested against brute-force enumeration of every tag sequence.
"""

import numpy as np
import tensorflow as _tf

__all__ = ["crf_binary_score", "crf_decode", "crf_log_likelihood", "crf_log_norm",
           "crf_sequence_score", "crf_unary_score", "viterbi_decode"]

_v1 = _tf.compat.v1


def _mask(tag_indices, sequence_lengths):
    return _tf.sequence_mask(sequence_lengths, maxlen=_tf.shape(tag_indices)[1],
                             dtype=_tf.float32)


def crf_unary_score(tag_indices, sequence_lengths, inputs):
    """sum_t inputs[b, t, tag_indices[b, t]] over each sequence's length: [batch]."""
    picked = _tf.gather(inputs, tag_indices, axis=2, batch_dims=2)
    return _tf.reduce_sum(picked * _mask(tag_indices, sequence_lengths), 1)


def crf_binary_score(tag_indices, sequence_lengths, transition_params):
    """sum_t transition_params[tag_{t-1}, tag_t] over each sequence's length: [batch]."""
    pairs = _tf.stack([tag_indices[:, :-1], tag_indices[:, 1:]], axis=2)
    scores = _tf.gather_nd(transition_params, pairs)
    return _tf.reduce_sum(scores * _mask(tag_indices, sequence_lengths)[:, 1:], 1)


def crf_sequence_score(inputs, tag_indices, sequence_lengths, transition_params):
    """Unnormalized score of each tag sequence: [batch]."""
    return crf_unary_score(tag_indices, sequence_lengths, inputs) + crf_binary_score(
        tag_indices, sequence_lengths, transition_params)


def _over_time(inputs):
    """[batch, time, tags] -> ([time - 1, batch, tags] of steps 1.., step indices)."""
    rest = _tf.transpose(inputs[:, 1:], [1, 0, 2])
    return rest, _tf.range(1, _tf.shape(inputs)[1])


def crf_log_norm(inputs, sequence_lengths, transition_params):
    """log of the partition function of each sequence (the forward algorithm):
    [batch]."""
    transitions = _tf.expand_dims(transition_params, 0)
    rest, steps = _over_time(inputs)
    lengths = _tf.cast(sequence_lengths, _tf.int32)

    def forward(alphas, step):
        x_t, t = step
        scores = _tf.expand_dims(alphas, 2) + transitions
        new_alphas = x_t + _tf.reduce_logsumexp(scores, [1])
        return _tf.where(_tf.expand_dims(t < lengths, 1), new_alphas, alphas)

    alphas = _tf.foldl(forward, (rest, steps), initializer=inputs[:, 0])
    log_norm = _tf.reduce_logsumexp(alphas, [1])
    return _tf.where(lengths <= 0, _tf.zeros_like(log_norm), log_norm)


def crf_log_likelihood(inputs, tag_indices, sequence_lengths, transition_params=None):
    """(log-likelihood of each tag sequence [batch], transition_params). Without
    `transition_params`, creates the variable ``transitions`` [tags, tags] in the
    current variable scope."""
    if transition_params is None:
        num_tags = _tf.compat.dimension_value(inputs.shape[2])
        transition_params = _v1.get_variable("transitions", [num_tags, num_tags])
    score = crf_sequence_score(inputs, tag_indices, sequence_lengths, transition_params)
    return score - crf_log_norm(inputs, sequence_lengths, transition_params), \
        transition_params


def crf_decode(potentials, transition_params, sequence_length):
    """Viterbi decoding in the graph: (tags [batch, time] int32, best score [batch])."""
    transitions = _tf.expand_dims(transition_params, 0)
    # TF 1.15 decoded an empty sequence as one step (its tag: the first step's argmax)
    lengths = _tf.maximum(_tf.cast(sequence_length, _tf.int32), 1)
    batch, time = _tf.shape(potentials)[0], _tf.shape(potentials)[1]
    num_tags = _tf.shape(potentials)[2]
    steps = _tf.transpose(potentials, [1, 0, 2])  # [time, batch, tags]

    def forward(carry, step):
        best, _ = carry
        x_t, t = step
        scores = _tf.expand_dims(best, 2) + transitions  # [batch, from, to]
        new_best = _tf.where(t > 0, x_t + _tf.reduce_max(scores, [1]), x_t)
        # pointers[t][b, to]: the best tag at step t - 1 before tag `to` at step t
        pointers = _tf.cast(_tf.argmax(scores, 1), _tf.int32)
        return _tf.where(_tf.expand_dims(t < lengths, 1) | _tf.equal(t, 0), new_best,
                         best), pointers

    start = (_tf.zeros([batch, num_tags], potentials.dtype),
             _tf.zeros([batch, num_tags], _tf.int32))
    bests, pointers = _tf.scan(forward, (steps, _tf.range(time)), initializer=start)
    last = bests[-1]  # each sequence's best scores at its last step
    best_score = _tf.reduce_max(last, 1)
    final_tag = _tf.cast(_tf.argmax(last, 1), _tf.int32)
    pointers = _tf.concat([pointers, _tf.zeros([1, batch, num_tags], _tf.int32)], 0)

    def backward(tag, t):  # tag: the tag chosen at step t + 1 (while t + 1 < length)
        from_next = _tf.gather(pointers[t + 1], tag, axis=1, batch_dims=1)
        return _tf.where(_tf.equal(t, lengths - 1), final_tag,
                         _tf.where(t < lengths - 1, from_next, tag))

    tags = _tf.scan(backward, _tf.range(time - 1, -1, -1),
                    initializer=_tf.zeros([batch], _tf.int32))
    tags = _tf.transpose(_tf.reverse(tags, [0]))  # [batch, time], step order
    valid = _tf.sequence_mask(lengths, maxlen=time)
    return _tf.where(valid, tags, _tf.zeros_like(tags)), best_score


def viterbi_decode(score, transition_params):
    """Viterbi decoding in NumPy, outside the graph: (tags of one sequence, its score)
    for `score` [time, tags]."""
    score = np.asarray(score)
    transition_params = np.asarray(transition_params)
    trellis = np.zeros_like(score)
    pointers = np.zeros_like(score, dtype=np.int32)
    trellis[0] = score[0]
    for t in range(1, score.shape[0]):
        candidates = np.expand_dims(trellis[t - 1], 1) + transition_params
        trellis[t] = score[t] + np.max(candidates, 0)
        pointers[t] = np.argmax(candidates, 0)
    path = [int(np.argmax(trellis[-1]))]
    for back in pointers[:0:-1]:
        path.append(int(back[path[-1]]))
    path.reverse()
    return path, np.max(trellis[-1])
