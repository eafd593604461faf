"""``BeamSearchDecoder`` and ``gather_tree`` after TF 1.15's behaviour (TF 2.21 has no
GatherTree kernel: it is written with TF ops)."""

import collections


import tensorflow as _tf
from tensorflow.python.framework import tensor_util as _tensor_util


from compat.tf1.contrib.seq2seq.attention import AttentionWrapperState
from compat.tf1.contrib.seq2seq.common import _plain, _v1
from compat.tf1.contrib.seq2seq.decoder import BasicDecoder, Decoder, _check_cell
from compat.tf1.contrib.seq2seq.helpers import _embedding_fn


__all__ = ["BeamSearchDecoder", "BeamSearchDecoderOutput", "BeamSearchDecoderState",
    "FinalBeamSearchDecoderOutput", "gather_tree"]


# --- beam search -------------------------------------------------------------------------
class BeamSearchDecoderState(collections.namedtuple(
        "BeamSearchDecoderState", ("cell_state", "log_probs", "finished", "lengths",
                                   "accumulated_attention_probs"))):
    pass


class BeamSearchDecoderOutput(collections.namedtuple(
        "BeamSearchDecoderOutput", ("scores", "predicted_ids", "parent_ids"))):
    pass


class FinalBeamSearchDecoderOutput(collections.namedtuple(
        "FinalBeamDecoderOutput", ["predicted_ids", "beam_search_decoder_output"])):
    """``predicted_ids`` [batch, time, beam] (best beam first) and the per-step
    :class:`BeamSearchDecoderOutput`."""


def gather_tree(step_ids, parent_ids, max_sequence_lengths, end_token, name=None):
    """Full beams [time, batch, beam] from each step's ids and parent beams: beam k of
    batch entry b is followed back from step ``max_sequence_lengths[b] - 1``; steps at or
    after that length, and after a beam's first `end_token`, hold `end_token`."""
    with _tf.name_scope(name or "GatherTree"):
        step_ids = _tf.convert_to_tensor(step_ids, name="step_ids")
        parent_ids = _tf.convert_to_tensor(parent_ids, dtype=step_ids.dtype,
                                           name="parent_ids")
        lengths = _tf.convert_to_tensor(max_sequence_lengths, name="max_sequence_lengths")
        end_token = _tf.cast(_tf.convert_to_tensor(end_token, name="end_token"),
                             step_ids.dtype)
        shape = _tf.shape(step_ids)
        max_time, batch, beams = shape[0], shape[1], shape[2]
        times = _tf.range(max_time - 1, -1, -1)

        def back(beam, t):
            # beam: [batch, beams] the beam each output beam follows at step t
            in_range = _tf.expand_dims(t < _tf.cast(lengths, _tf.int32), 1)
            index = _tf.stack([_tf.fill([batch, beams], t),
                               _tf.tile(_tf.expand_dims(_tf.range(batch), 1), [1, beams]),
                               _tf.cast(beam, _tf.int32)], -1)
            ids = _tf.where(in_range, _tf.gather_nd(step_ids, index),
                            _tf.fill([batch, beams], end_token))
            parent = _tf.where(in_range, _tf.gather_nd(parent_ids, index), beam)
            parent.set_shape(beam.shape)
            ids.set_shape(step_ids.shape[1:])
            return parent, ids

        start = _tf.tile(_tf.expand_dims(_tf.range(beams, dtype=step_ids.dtype), 0),
                         [batch, 1])
        _, ids = _tf.scan(lambda acc, t: back(acc[0], t), times,
                          initializer=(start, _tf.zeros([batch, beams], step_ids.dtype)))
        ids = _tf.reverse(ids, [0])
        ended = _tf.cumsum(_tf.cast(_tf.equal(ids, end_token), _tf.int32), axis=0,
                           exclusive=True) > 0
        ids = _tf.where(ended, _tf.fill(_tf.shape(ids), end_token), ids)
        ids.set_shape(step_ids.shape)
        return ids


def _gather_tree_from_array(t, parent_ids, sequence_length):
    """A stacked TensorArray [time, batch * beam (or batch, beam), ...] reordered along
    the beams' paths."""
    shape = _tf.shape(parent_ids)
    max_time, batch, beams = shape[0], shape[1], shape[2]
    beam_ids = _tf.tile(_tf.range(beams)[None, None], [max_time, batch, 1])
    max_lengths = _tf.cast(_tf.reduce_max(sequence_length, axis=1), _tf.int32)
    sorted_ids = gather_tree(beam_ids, parent_ids, max_lengths, beams + 1)
    in_bound = _tf.transpose(_tf.sequence_mask(sequence_length, maxlen=max_time), [2, 0, 1])
    sorted_ids = _tf.where(in_bound, sorted_ids, beam_ids)
    time_index = _tf.tile(_tf.reshape(_tf.range(max_time), [-1, 1, 1]), [1, batch, beams])
    batch_index = _tf.transpose(
        _tf.tile(_tf.reshape(_tf.range(batch), [-1, 1, 1]), [1, max_time, beams]), [1, 0, 2])
    indices = _tf.stack([time_index, batch_index, sorted_ids], -1)
    final_shape = _tf.shape(t)
    ordered = _tf.gather_nd(_tf.reshape(t, [max_time, batch, beams, -1]), indices)
    return _tf.reshape(ordered, final_shape)


def _length_penalty(lengths, weight):
    weight = _tf.convert_to_tensor(weight, name="penalty_factor")
    weight.set_shape(())
    static = _tensor_util.constant_value(weight)
    if static is not None and static == 0:
        return 1.0
    return (5.0 + _tf.cast(lengths, _tf.float32)) ** weight / (5.0 + 1.0) ** weight


def _attention_probs(state):
    probs = state.alignments
    if isinstance(probs, tuple):
        probs = _tf.reduce_mean(_tf.stack(probs, -1), -1)
    return probs


def _coverage_probs(cell_state, weight):
    """The attention probabilities the coverage penalty accumulates (None when off)."""
    if weight == 0.0:
        return None
    states = [cell_state] if isinstance(cell_state, AttentionWrapperState) else [
        s for s in (cell_state if isinstance(cell_state, tuple) else ())
        if isinstance(s, AttentionWrapperState)]
    if not states:
        raise ValueError("coverage_penalty_weight must be 0.0 if no cell is attentional.")
    probs = [_attention_probs(s) for s in states]
    return probs[0] if len(probs) == 1 else _tf.reduce_mean(_tf.stack(probs, -1), -1)


def _scores(log_probs, lengths, length_weight, coverage_weight, finished, accumulated):
    scores = log_probs / _tf.cast(_length_penalty(lengths, length_weight), log_probs.dtype)
    coverage_weight = _tf.convert_to_tensor(coverage_weight, name="coverage_penalty_weight")
    if coverage_weight.shape.rank != 0:
        raise ValueError("coverage_penalty_weight should be a scalar, but saw shape: "
                         f"{coverage_weight.shape}")
    if _tensor_util.constant_value(coverage_weight) == 0.0:
        return scores
    accumulated = _v1.where(_tf.equal(accumulated, 0.0), _tf.ones_like(accumulated),
                            accumulated)
    coverage = _tf.reduce_sum(_tf.math.log(_tf.minimum(accumulated, 1.0)), 2)
    coverage *= _tf.cast(finished, _tf.float32)
    return scores + _tf.expand_dims(coverage * coverage_weight, 2)


def _mask_probs(probs, end_token, finished):
    """Finished beams put all their mass on `end_token`; others stay as they are."""
    vocab = _tf.shape(probs)[2]
    row = _tf.one_hot(end_token, vocab, dtype=probs.dtype,
                      on_value=_tf.constant(0.0, probs.dtype), off_value=probs.dtype.min)
    finished_probs = _tf.tile(_tf.reshape(row, [1, 1, -1]),
                              _tf.concat([_tf.shape(finished), [1]], 0))
    mask = _tf.tile(_tf.expand_dims(finished, 2), [1, 1, vocab])
    return _v1.where(mask, finished_probs, probs)


def _gather_beams(indices, source, batch_size, range_size, gather_shape, name=None):
    """`source`'s entries picked per batch entry by `indices` (positions within each
    entry's `range_size` values), `source` seen through `gather_shape`."""
    with _tf.name_scope(name or "tensor_gather_helper"):
        offsets = _tf.expand_dims(_tf.range(batch_size) * range_size, 1)
        flat = _tf.reshape(indices + offsets, [-1])
        out = _tf.gather(_tf.reshape(source, gather_shape), flat)
        out = _tf.reshape(out, _tf.shape(source)[:1 + len(gather_shape)], name="output")
        out.set_shape(_tf.TensorShape([_tensor_util.constant_value(batch_size)]).concatenate(
            source.shape[1:1 + len(gather_shape)]))
        return out


def _maybe_gather_beams(indices, source, batch_size, range_size, gather_shape):
    if isinstance(source, _tf.TensorArray):
        return source
    _check_rank(source)
    if source.shape.rank >= len(gather_shape):
        return _gather_beams(indices, source, batch_size, range_size, gather_shape)
    return source


def _check_rank(t):
    if t.shape.rank is None:
        raise ValueError(f"Expected tensor ({t}) to have known rank, but ndims == None.")


def _beam_search_step(time, logits, next_cell_state, beam_state, batch_size, beam_width,
                      end_token, length_penalty_weight, coverage_penalty_weight):
    static_batch = _tensor_util.constant_value(batch_size)
    previously_finished = beam_state.finished
    not_finished = _tf.logical_not(previously_finished)
    step_log_probs = _mask_probs(_tf.nn.log_softmax(logits), end_token, previously_finished)
    total = _tf.expand_dims(beam_state.log_probs, 2) + step_log_probs
    vocab = logits.shape[-1] or _tf.shape(logits)[-1]
    lengths_to_add = _tf.one_hot(_tf.fill([batch_size, beam_width], end_token), depth=vocab,
                                 on_value=_tf.constant(0, _tf.int64),
                                 off_value=_tf.constant(1, _tf.int64), dtype=_tf.int64)
    lengths_to_add *= _tf.expand_dims(_tf.cast(not_finished, _tf.int64), 2)
    new_lengths = lengths_to_add + _tf.expand_dims(beam_state.lengths, 2)
    accumulated = None
    attention = _coverage_probs(next_cell_state, coverage_penalty_weight)
    if attention is not None:
        attention *= _tf.expand_dims(_tf.cast(not_finished, _tf.float32), 2)
        accumulated = beam_state.accumulated_attention_probs + attention
    scores = _scores(total, new_lengths, length_penalty_weight, coverage_penalty_weight,
                     previously_finished, accumulated)
    scores_flat = _tf.reshape(scores, [batch_size, -1])
    next_scores, word_indices = _tf.nn.top_k(
        scores_flat, k=_tf.convert_to_tensor(beam_width, _tf.int32, name="beam_width"))
    next_scores.set_shape([static_batch, beam_width])
    word_indices.set_shape([static_batch, beam_width])
    next_probs = _gather_beams(word_indices, total, batch_size, beam_width * vocab, [-1],
                               name="next_beam_probs")
    next_word_ids = _tf.cast(_tf.math.floormod(word_indices, vocab, name="next_beam_word_ids"),
                             _tf.int32)
    next_beam_ids = _tf.cast(_tf.math.floordiv(word_indices, vocab), _tf.int32,
                             name="next_beam_parent_ids")
    previously_finished = _gather_beams(next_beam_ids, previously_finished, batch_size,
                                        beam_width, [-1])
    next_finished = _tf.logical_or(previously_finished, _tf.equal(next_word_ids, end_token),
                                   name="next_beam_finished")
    next_lengths = _gather_beams(next_beam_ids, beam_state.lengths, batch_size, beam_width,
                                 [-1])
    next_lengths += _tf.cast(_tf.logical_not(previously_finished), _tf.int64)
    next_accumulated = ()
    if accumulated is not None:
        next_accumulated = _gather_beams(next_beam_ids, accumulated, batch_size, beam_width,
                                         [batch_size * beam_width, -1],
                                         name="next_accumulated_attention_probs")
    next_cell_state = _tf.nest.map_structure(
        lambda source: _maybe_gather_beams(next_beam_ids, source, batch_size, beam_width,
                                           [batch_size * beam_width, -1]),
        next_cell_state)
    state = BeamSearchDecoderState(cell_state=next_cell_state, log_probs=next_probs,
                                   lengths=next_lengths, finished=next_finished,
                                   accumulated_attention_probs=next_accumulated)
    output = BeamSearchDecoderOutput(scores=next_scores, predicted_ids=next_word_ids,
                                     parent_ids=next_beam_ids)
    return output, state


class BeamSearchDecoder(Decoder):
    """Beam search over `cell` (whose memory and initial state are tiled to
    ``batch_size * beam_width`` with :func:`tile_batch`): outputs
    :class:`FinalBeamSearchDecoderOutput` through :func:`dynamic_decode`."""

    def __init__(self, cell, embedding, start_tokens, end_token, initial_state, beam_width,
                 output_layer=None, length_penalty_weight=0.0, coverage_penalty_weight=0.0,
                 reorder_tensor_arrays=True):
        _check_cell(cell)
        if output_layer is not None and not (
                callable(output_layer) and hasattr(output_layer, "compute_output_shape")):
            raise TypeError(f"output_layer must be a Layer, received: {type(output_layer)}")
        self._cell = cell
        self._output_layer = output_layer
        self._reorder_tensor_arrays = reorder_tensor_arrays
        self._beam_width = beam_width
        self._length_penalty_weight = length_penalty_weight
        self._coverage_penalty_weight = coverage_penalty_weight
        self._embedding_fn = _embedding_fn(embedding)
        start_tokens = _tf.convert_to_tensor(start_tokens, dtype=_tf.int32,
                                             name="start_tokens")
        if start_tokens.shape.rank != 1:
            raise ValueError("start_tokens must be a vector")
        self._end_token = _tf.convert_to_tensor(end_token, dtype=_tf.int32, name="end_token")
        if self._end_token.shape.rank != 0:
            raise ValueError("end_token must be a scalar")
        self._batch_size = _tf.size(start_tokens)
        self._initial_cell_state = _tf.nest.map_structure(
            self._maybe_split_batch_beams, _plain(initial_state), self._cell.state_size)
        self._start_tokens = _tf.tile(_tf.expand_dims(start_tokens, 1), [1, beam_width])
        self._start_inputs = self._embedding_fn(self._start_tokens)
        self._finished = _tf.one_hot(_tf.zeros([self._batch_size], dtype=_tf.int32),
                                     depth=beam_width, on_value=False, off_value=True,
                                     dtype=_tf.bool)

    @property
    def batch_size(self):
        return self._batch_size

    @property
    def tracks_own_finished(self):
        return True  # beams are reordered every step, their finished flags with them

    _rnn_output_size = BasicDecoder._rnn_output_size

    @property
    def output_size(self):
        shape = _tf.TensorShape([self._beam_width])
        return BeamSearchDecoderOutput(scores=shape, predicted_ids=shape, parent_ids=shape)

    @property
    def output_dtype(self):
        dtype = _tf.nest.flatten(self._initial_cell_state)[0].dtype
        return BeamSearchDecoderOutput(
            scores=_tf.nest.map_structure(lambda _: dtype, self._rnn_output_size()),
            predicted_ids=_tf.int32, parent_ids=_tf.int32)

    def initialize(self, name=None):
        dtype = _tf.nest.flatten(self._initial_cell_state)[0].dtype
        log_probs = _tf.one_hot(_tf.zeros([self._batch_size], dtype=_tf.int32),
                                depth=self._beam_width,
                                on_value=_tf.constant(0.0, dtype),
                                off_value=_tf.constant(-float("inf"), dtype), dtype=dtype)
        attention = _coverage_probs(self._initial_cell_state, self._coverage_penalty_weight)
        state = BeamSearchDecoderState(
            cell_state=self._initial_cell_state, log_probs=log_probs,
            finished=self._finished,
            lengths=_tf.zeros([self._batch_size, self._beam_width], dtype=_tf.int64),
            accumulated_attention_probs=() if attention is None else attention)
        return self._finished, self._start_inputs, state

    def _merge_batch_beams(self, t, s=None):
        s = _tf.TensorShape(_tensor_util.constant_value(s) if _tf.is_tensor(s) else s)
        static = _tensor_util.constant_value(self._batch_size)
        merged = _tf.reshape(t, _tf.concat(
            ([self._batch_size * self._beam_width], _tf.shape(t)[2:]), 0))
        merged.set_shape(_tf.TensorShape(
            [None if static is None else static * self._beam_width]).concatenate(s))
        return merged

    def _split_batch_beams(self, t, s=None):
        s = _tf.TensorShape(_tensor_util.constant_value(s) if _tf.is_tensor(s) else s)
        split = _tf.reshape(t, _tf.concat(
            ([self._batch_size, self._beam_width], _tf.shape(t)[1:]), 0))
        expected = _tf.TensorShape([_tensor_util.constant_value(self._batch_size),
                                    self._beam_width]).concatenate(s)
        if not split.shape.is_compatible_with(expected):
            raise ValueError(
                "Unexpected behavior when reshaping between beam width and batch size.  The "
                f"reshaped tensor has shape: {split.shape}.  We expected it to have shape "
                f"(batch_size, beam_width, depth) == {expected}.  Perhaps you forgot to "
                "create a zero_state with batch_size=encoder_batch_size * beam_width?")
        split.set_shape(expected)
        return split

    def _maybe_split_batch_beams(self, t, s):
        if isinstance(t, _tf.TensorArray):
            return t
        _check_rank(t)
        return self._split_batch_beams(t, s) if t.shape.rank >= 1 else t

    def _maybe_merge_batch_beams(self, t, s):
        if isinstance(t, _tf.TensorArray):
            return t
        _check_rank(t)
        return self._merge_batch_beams(t, s) if t.shape.rank >= 2 else t

    def _maybe_sort_array_beams(self, t, parent_ids, lengths):
        if not isinstance(t, _tf.TensorArray):
            return t
        shape = t.element_shape
        static_batch = _tensor_util.constant_value(self._batch_size)
        if shape.rank is None or shape.rank < 1 or (
                static_batch is not None and shape[0] is not None
                and shape[0] != static_batch * self._beam_width
                and (shape.rank < 2 or shape[0] != static_batch
                     or shape[1] != self._beam_width)):
            return t  # not [batch * beam, ...] or [batch, beam, ...]: left as it is
        return _gather_tree_from_array(t.stack(), parent_ids, lengths)

    def step(self, time, inputs, state, name=None):
        with _tf.name_scope(name or "BeamSearchDecoderStep"):
            inputs = _tf.nest.map_structure(
                lambda x: self._merge_batch_beams(x, s=x.shape[2:]), inputs)
            cell_state = _tf.nest.map_structure(self._maybe_merge_batch_beams,
                                                state.cell_state, self._cell.state_size)
            outputs, next_cell_state = _plain(self._cell(inputs, cell_state))
            outputs = _tf.nest.map_structure(
                lambda out: self._split_batch_beams(out, out.shape[1:]), outputs)
            next_cell_state = _tf.nest.map_structure(
                self._maybe_split_batch_beams, next_cell_state, self._cell.state_size)
            if self._output_layer is not None:
                outputs = self._output_layer(outputs)
            output, next_state = _beam_search_step(
                time=time, logits=outputs, next_cell_state=next_cell_state,
                beam_state=state, batch_size=self._batch_size, beam_width=self._beam_width,
                end_token=self._end_token, length_penalty_weight=self._length_penalty_weight,
                coverage_penalty_weight=self._coverage_penalty_weight)
            finished = next_state.finished
            next_inputs = _v1.cond(_tf.reduce_all(finished), lambda: self._start_inputs,
                                   lambda: self._embedding_fn(output.predicted_ids))
        return output, next_state, next_inputs, finished

    def finalize(self, outputs, final_state, sequence_lengths):
        max_lengths = _tf.cast(_tf.reduce_max(final_state.lengths, axis=1), _tf.int32)
        predicted_ids = gather_tree(outputs.predicted_ids, outputs.parent_ids,
                                    max_sequence_lengths=max_lengths,
                                    end_token=self._end_token)
        if self._reorder_tensor_arrays:
            final_state = final_state._replace(cell_state=_tf.nest.map_structure(
                lambda t: self._maybe_sort_array_beams(t, outputs.parent_ids,
                                                       final_state.lengths),
                final_state.cell_state))
        return FinalBeamSearchDecoderOutput(beam_search_decoder_output=outputs,
                                            predicted_ids=predicted_ids), final_state
