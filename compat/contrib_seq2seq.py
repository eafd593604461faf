"""``tf.contrib.seq2seq``'s loss and its decoding loop: ``sequence_loss``, the
``Decoder`` interface with ``BasicDecoder`` and ``dynamic_decode``, and the helpers
``TrainingHelper`` (teacher forcing), ``GreedyEmbeddingHelper`` and
``SampleEmbeddingHelper`` (inference). Attention wrappers, beam search and the scheduled
sampling helpers are not covered (they raise RemovedAPIError).

Written after TF 1.15's documented behaviour. sequence_loss: weights mask or weight the
tokens, and the loss is averaged by the total weight (``average_across_*``) or summed and
divided by the count of non-zero weights (``sum_over_*``), over the batch, the time steps,
both or neither; a zero denominator gives 0. dynamic_decode: variables under the scope
``decoder`` (the cell's and the output layer's, so TF 1.x checkpoints restore),
``initialize()`` once and ``step()`` in a ``while_loop`` until every batch entry is
finished or ``maximum_iterations``; a sequence's length is the step at which it first
finished; with ``impute_finished`` the outputs after that step are zeros and the state is
carried through unchanged; outputs batch major unless ``output_time_major``.
"""

import abc
import collections

import tensorflow as _tf
from tensorflow.python.framework import tensor_util as _tensor_util
from tensorflow.python.ops import control_flow_util as _control_flow_util

__all__ = ["sequence_loss", "Decoder", "BasicDecoder", "BasicDecoderOutput", "dynamic_decode",
           "Helper", "TrainingHelper", "GreedyEmbeddingHelper", "SampleEmbeddingHelper"]

_v1 = _tf.compat.v1


def sequence_loss(logits, targets, weights, average_across_timesteps=True,
                  average_across_batch=True, sum_over_timesteps=False, sum_over_batch=False,
                  softmax_loss_function=None, name=None):
    """Cross-entropy of `logits` [batch, time, classes] against `targets` [batch, time]
    weighted by `weights` [batch, time]: a scalar, [time], [batch] or [batch, time]
    depending on the reductions asked for."""
    for tensor, rank, what in ((logits, 3, "Logits must be a [batch_size x sequence_length x "
                                           "logits] tensor"),
                               (targets, 2, "Targets must be a [batch_size x sequence_length]"
                                            " tensor"),
                               (weights, 2, "Weights must be a [batch_size x sequence_length]"
                                            " tensor")):
        if tensor.shape.rank != rank:
            raise ValueError(what)
    if average_across_timesteps and sum_over_timesteps:
        raise ValueError("average_across_timesteps and sum_over_timesteps cannot be set to "
                         "True at same time.")
    if average_across_batch and sum_over_batch:
        raise ValueError("average_across_batch and sum_over_batch cannot be set to True at "
                         "same time.")
    with _tf.name_scope(name or "sequence_loss"):
        classes = _tf.shape(logits)[2]
        flat_logits = _tf.reshape(logits, [-1, classes])
        flat_targets = _tf.reshape(targets, [-1])
        if softmax_loss_function is None:
            losses = _tf.nn.sparse_softmax_cross_entropy_with_logits(labels=flat_targets,
                                                                     logits=flat_logits)
        else:
            losses = softmax_loss_function(labels=flat_targets, logits=flat_logits)
        losses *= _tf.reshape(weights, [-1])
        if average_across_timesteps and average_across_batch:
            return _tf.math.divide_no_nan(_tf.reduce_sum(losses), _tf.reduce_sum(weights))
        if sum_over_timesteps and sum_over_batch:
            count = _tf.cast(_tf.math.count_nonzero(weights), _tf.float32)
            return _tf.math.divide_no_nan(_tf.reduce_sum(losses), count)
        losses = _tf.reshape(losses, _tf.shape(logits)[0:2])
        if average_across_timesteps or average_across_batch:
            axis = [0] if average_across_batch else [1]
            return _tf.math.divide_no_nan(_tf.reduce_sum(losses, axis=axis),
                                          _tf.reduce_sum(weights, axis=axis))
        if sum_over_timesteps or sum_over_batch:
            axis = [0] if sum_over_batch else [1]
            count = _tf.cast(_tf.math.count_nonzero(weights, axis=axis), _tf.float32)
            return _tf.math.divide_no_nan(_tf.reduce_sum(losses, axis=axis), count)
        return losses


# --- decoding ----------------------------------------------------------------------------
def _transpose_batch_time(x):
    """[batch, time, ...] <-> [time, batch, ...], static shape kept (rank < 2 unchanged)."""
    static = x.shape
    if static.rank is not None and static.rank < 2:
        return x
    rank = _tf.rank(x)
    perm = _tf.concat([[1, 0], _tf.range(2, rank)], axis=0)
    out = _tf.transpose(x, perm)
    if static.rank is not None:
        out.set_shape(_tf.TensorShape([static[1], static[0]]).concatenate(static[2:]))
    return out


def _unstack_ta(tensor):
    return _tf.TensorArray(dtype=tensor.dtype, size=_tf.shape(tensor)[0],
                           element_shape=tensor.shape[1:]).unstack(tensor)


def _as_shape(size):
    return _tf.TensorShape([size]) if isinstance(size, int) else _tf.TensorShape(size)


def _embedding_fn(embedding):
    if callable(embedding):
        return embedding
    return lambda ids: _v1.nn.embedding_lookup(embedding, ids)


class Helper(abc.ABC):
    """How a :class:`BasicDecoder` samples ids from the outputs and reads its next inputs."""

    @property
    @abc.abstractmethod
    def batch_size(self):
        """Batch size of the tensors the helper returns (a scalar int32 tensor)."""

    @property
    def sample_ids_shape(self):
        return _tf.TensorShape([])

    @property
    def sample_ids_dtype(self):
        return _tf.int32

    @abc.abstractmethod
    def initialize(self, name=None):
        """(finished, first inputs)."""

    @abc.abstractmethod
    def sample(self, time, outputs, state, name=None):
        """Sample ids of one step."""

    @abc.abstractmethod
    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        """(finished, next inputs, next state)."""


class TrainingHelper(Helper):
    """Teacher forcing: step t reads ``inputs[:, t]``; a sequence is finished at its
    length; sample ids are the argmax of the outputs."""

    def __init__(self, inputs, sequence_length, time_major=False, name=None):
        with _tf.name_scope(name or "TrainingHelper"):
            inputs = _tf.convert_to_tensor(inputs, name="inputs")
            if not time_major:
                inputs = _transpose_batch_time(inputs)
            self._input_ta = _unstack_ta(inputs)
            self._sequence_length = _tf.convert_to_tensor(sequence_length,
                                                          name="sequence_length")
            if self._sequence_length.shape.rank != 1:
                raise ValueError("Expected sequence_length to be a vector, but received "
                                 f"shape: {self._sequence_length.shape}")
            self._zero_inputs = _tf.zeros_like(inputs[0, :])
            self._batch_size = _tf.size(self._sequence_length)

    @property
    def batch_size(self):
        return self._batch_size

    def _inputs_at(self, time, finished):
        return _v1.cond(_tf.reduce_all(finished), lambda: self._zero_inputs,
                        lambda: self._input_ta.read(time))

    def initialize(self, name=None):
        with _tf.name_scope(name or "TrainingHelperInitialize"):
            finished = _tf.equal(0, self._sequence_length)
            return finished, self._inputs_at(0, finished)

    def sample(self, time, outputs, state=None, name=None):
        with _tf.name_scope(name or "TrainingHelperSample"):
            return _tf.cast(_tf.argmax(outputs, axis=-1), _tf.int32)

    def next_inputs(self, time, outputs, state, sample_ids=None, name=None):
        with _tf.name_scope(name or "TrainingHelperNextInputs"):
            next_time = time + 1
            finished = next_time >= self._sequence_length
            return finished, self._inputs_at(next_time, finished), state


class GreedyEmbeddingHelper(Helper):
    """Inference: the argmax id of each step's outputs (logits), embedded, is the next
    input; a sequence is finished when it emits `end_token`."""

    def __init__(self, embedding, start_tokens, end_token):
        self._embedding_fn = _embedding_fn(embedding)
        self._start_tokens = _tf.convert_to_tensor(start_tokens, dtype=_tf.int32,
                                                   name="start_tokens")
        self._end_token = _tf.convert_to_tensor(end_token, dtype=_tf.int32,
                                                name="end_token")
        if self._start_tokens.shape.rank != 1:
            raise ValueError("start_tokens must be a vector")
        if self._end_token.shape.rank != 0:
            raise ValueError("end_token must be a scalar")
        self._batch_size = _tf.size(self._start_tokens)
        self._start_inputs = self._embedding_fn(self._start_tokens)

    @property
    def batch_size(self):
        return self._batch_size

    def initialize(self, name=None):
        return _tf.tile([False], [self._batch_size]), self._start_inputs

    def _ids(self, outputs):
        return _tf.cast(_tf.argmax(outputs, axis=-1), _tf.int32)

    def sample(self, time, outputs, state, name=None):
        if not _tf.is_tensor(outputs):
            raise TypeError(f"Expected outputs to be a single Tensor, got: {type(outputs)}")
        return self._ids(outputs)

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        finished = _tf.equal(sample_ids, self._end_token)
        next_inputs = _v1.cond(_tf.reduce_all(finished), lambda: self._start_inputs,
                               lambda: self._embedding_fn(sample_ids))
        return finished, next_inputs, state


class SampleEmbeddingHelper(GreedyEmbeddingHelper):
    """Inference by sampling: each step's id is drawn from the categorical distribution
    of its outputs (logits, divided by `softmax_temperature` if given), with `seed`."""

    def __init__(self, embedding, start_tokens, end_token, softmax_temperature=None,
                 seed=None):
        super().__init__(embedding, start_tokens, end_token)
        self._softmax_temperature = softmax_temperature
        self._seed = seed

    def sample(self, time, outputs, state, name=None):
        if not _tf.is_tensor(outputs):
            raise TypeError(f"Expected outputs to be a single Tensor, got: {type(outputs)}")
        logits = outputs if self._softmax_temperature is None else (
            outputs / self._softmax_temperature)
        return _v1.distributions.Categorical(logits=logits).sample(seed=self._seed)


class Decoder(abc.ABC):
    """What :func:`dynamic_decode` runs: ``initialize()`` once, then ``step()`` per time
    step; ``finalize()`` (optional) post-processes the stacked outputs."""

    @property
    @abc.abstractmethod
    def batch_size(self):
        """The batch size (a scalar int32 tensor)."""

    @property
    @abc.abstractmethod
    def output_size(self):
        """A (structure of) shapes of one step's outputs, without the batch."""

    @property
    @abc.abstractmethod
    def output_dtype(self):
        """A (structure of) dtypes of one step's outputs."""

    @abc.abstractmethod
    def initialize(self, name=None):
        """(finished, initial inputs, initial state)."""

    @abc.abstractmethod
    def step(self, time, inputs, state, name=None):
        """(outputs, next state, next inputs, finished)."""

    def finalize(self, outputs, final_state, sequence_lengths):
        raise NotImplementedError

    @property
    def tracks_own_finished(self):
        """True if the decoder keeps its own finished flags (dynamic_decode then takes
        them as they are instead of OR-ing them with the previous step's)."""
        return False


class BasicDecoderOutput(collections.namedtuple("BasicDecoderOutput",
                                                ("rnn_output", "sample_id"))):
    pass


def _check_cell(cell):
    missing = [attr for attr in ("output_size", "state_size") if not hasattr(cell, attr)]
    if missing or not callable(cell) or not (hasattr(cell, "zero_state")
                                             or hasattr(cell, "get_initial_state")):
        raise TypeError(f"The argument 'cell' ({cell}) is not an RNNCell: "
                        + (f"'{missing[0]}' property is missing" if missing
                           else "is not callable"))


class BasicDecoder(Decoder):
    """One `cell` step per time step, the optional `output_layer` on its output, and
    `helper` choosing the sample ids and the next inputs."""

    def __init__(self, cell, helper, initial_state, output_layer=None):
        _check_cell(cell)
        if not isinstance(helper, Helper):
            raise TypeError(f"helper must be a Helper, received: {type(helper)}")
        if output_layer is not None and not (
                callable(output_layer) and hasattr(output_layer, "compute_output_shape")):
            raise TypeError(f"output_layer must be a Layer, received: {type(output_layer)}")
        self._cell = cell
        self._helper = helper
        self._initial_state = initial_state
        self._output_layer = output_layer

    @property
    def batch_size(self):
        return self._helper.batch_size

    def _rnn_output_size(self):
        size = self._cell.output_size
        if self._output_layer is None:
            return size
        with_batch = _tf.nest.map_structure(
            lambda s: _tf.TensorShape([None]).concatenate(_as_shape(s)), size)
        layer_shape = self._output_layer.compute_output_shape(with_batch)
        return _tf.nest.map_structure(lambda s: _tf.TensorShape(s)[1:], layer_shape)

    @property
    def output_size(self):
        return BasicDecoderOutput(rnn_output=self._rnn_output_size(),
                                  sample_id=self._helper.sample_ids_shape)

    @property
    def output_dtype(self):
        dtype = _tf.nest.flatten(self._initial_state)[0].dtype
        return BasicDecoderOutput(
            _tf.nest.map_structure(lambda _: dtype, self._rnn_output_size()),
            self._helper.sample_ids_dtype)

    def initialize(self, name=None):
        return self._helper.initialize() + (self._initial_state,)

    def step(self, time, inputs, state, name=None):
        with _tf.name_scope(name or "BasicDecoderStep"):
            cell_outputs, cell_state = self._cell(inputs, state)
            if self._output_layer is not None:
                cell_outputs = self._output_layer(cell_outputs)
            sample_ids = self._helper.sample(time=time, outputs=cell_outputs,
                                             state=cell_state)
            finished, next_inputs, next_state = self._helper.next_inputs(
                time=time, outputs=cell_outputs, state=cell_state, sample_ids=sample_ids)
        return BasicDecoderOutput(cell_outputs, sample_ids), next_state, next_inputs, finished


def _in_loop_body():
    graph = _v1.get_default_graph()
    context = graph._get_control_flow_context()  # noqa: SLF001 - TF1 while contexts
    return (_control_flow_util.GetContainingWhileContext(context) is not None
            or getattr(graph, "is_control_flow_graph", False))


def dynamic_decode(decoder, output_time_major=False, impute_finished=False,
                   maximum_iterations=None, parallel_iterations=32, swap_memory=False,
                   scope=None):
    """Runs `decoder` until every batch entry is finished (or `maximum_iterations`):
    ``(final_outputs, final_state, final_sequence_lengths)``."""
    if not isinstance(decoder, Decoder):
        raise TypeError(f"Expected decoder to be type Decoder, but saw: {type(decoder)}")
    with _v1.variable_scope(scope, "decoder") as varscope:
        if not _tf.executing_eagerly() and not _in_loop_body() and (
                varscope.caching_device is None):
            # as TF1: the decoder's variables are read once per run, outside the loop
            varscope.set_caching_device(lambda op: op.device)
        if maximum_iterations is not None:
            maximum_iterations = _tf.convert_to_tensor(
                maximum_iterations, dtype=_tf.int32, name="maximum_iterations")
            if maximum_iterations.shape.rank != 0:
                raise ValueError("maximum_iterations must be a scalar")
        initial_finished, initial_inputs, initial_state = decoder.initialize()
        batch_size = decoder.batch_size

        def zeros(size, dtype):
            dims = _as_shape(size).as_list()
            shape = _tf.concat([_tf.reshape(batch_size, [1]),
                                _tf.constant(dims, _tf.int32, shape=[len(dims)])], 0)
            return _tf.zeros(shape, dtype=dtype)

        zero_outputs = _tf.nest.map_structure(zeros, decoder.output_size,
                                              decoder.output_dtype)
        if maximum_iterations is not None:
            initial_finished = _tf.logical_or(initial_finished, 0 >= maximum_iterations)
        initial_lengths = _tf.zeros_like(initial_finished, dtype=_tf.int32)
        static_batch = _tensor_util.constant_value(_tf.convert_to_tensor(batch_size))

        def make_ta(size, dtype):
            return _tf.TensorArray(dtype=dtype, size=0, dynamic_size=True,
                                   element_shape=_tf.TensorShape([static_batch]).concatenate(
                                       _as_shape(size)))

        initial_outputs_ta = _tf.nest.map_structure(make_ta, decoder.output_size,
                                                    decoder.output_dtype)

        def condition(time, outputs_ta, state, inputs, finished, lengths):
            return _tf.logical_not(_tf.reduce_all(finished))

        def body(time, outputs_ta, state, inputs, finished, lengths):
            outputs, decoder_state, next_inputs, decoder_finished = decoder.step(
                time, inputs, state)
            next_finished = decoder_finished if decoder.tracks_own_finished else (
                _tf.logical_or(decoder_finished, finished))
            next_lengths = _v1.where(_tf.logical_not(finished),
                                     _tf.fill(_tf.shape(lengths), time + 1), lengths)
            _tf.nest.assert_same_structure(state, decoder_state)
            _tf.nest.assert_same_structure(outputs_ta, outputs)
            _tf.nest.assert_same_structure(inputs, next_inputs)
            if impute_finished:
                emit = _tf.nest.map_structure(
                    lambda out, zero: _v1.where(finished, zero, out), outputs, zero_outputs)

                def carry(new, current):
                    if isinstance(current, _tf.TensorArray):
                        return new
                    new.set_shape(current.shape)
                    return new if new.shape.rank == 0 else _v1.where(finished, current, new)

                next_state = _tf.nest.map_structure(carry, decoder_state, state)
            else:
                emit, next_state = outputs, decoder_state
            outputs_ta = _tf.nest.map_structure(lambda ta, out: ta.write(time, out),
                                                outputs_ta, emit)
            return time + 1, outputs_ta, next_state, next_inputs, next_finished, next_lengths

        result = _v1.while_loop(
            condition, body,
            loop_vars=(_tf.constant(0, dtype=_tf.int32), initial_outputs_ta, initial_state,
                       initial_inputs, initial_finished, initial_lengths),
            parallel_iterations=parallel_iterations, maximum_iterations=maximum_iterations,
            swap_memory=swap_memory)
        final_state, final_lengths = result[2], result[5]
        final_outputs = _tf.nest.map_structure(lambda ta: ta.stack(), result[1])
        try:
            final_outputs, final_state = decoder.finalize(final_outputs, final_state,
                                                          final_lengths)
        except NotImplementedError:
            pass
        if not output_time_major:
            final_outputs = _tf.nest.map_structure(_transpose_batch_time, final_outputs)
    return final_outputs, final_state, final_lengths
