"""The ``Decoder`` interface, ``BasicDecoder`` and ``dynamic_decode`` after TF 1.15's behaviour."""

import abc
import collections


import tensorflow as _tf
from tensorflow.python.framework import tensor_util as _tensor_util
from tensorflow.python.ops import control_flow_util as _control_flow_util


from compat.tf1.contrib.seq2seq.common import _as_shape, _plain, _transpose_batch_time, _v1
from compat.tf1.contrib.seq2seq.helpers import Helper


__all__ = ["BasicDecoder", "BasicDecoderOutput", "Decoder", "dynamic_decode"]


class Decoder(abc.ABC):
    """What :func:`dynamic_decode` runs: ``initialize()`` once, then ``step()`` per time
    step; ``finalize()`` (optional) post-processes the stacked outputs."""

    __compat_guarded_instances__ = True

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
        self._initial_state = _plain(initial_state)
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
            cell_outputs, cell_state = _plain(self._cell(inputs, state))
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
