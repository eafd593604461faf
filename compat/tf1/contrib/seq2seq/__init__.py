"""``tf.contrib.seq2seq``'s loss and its decoding loop: ``sequence_loss``, the
``Decoder`` interface with ``BasicDecoder`` and ``dynamic_decode``, and the helpers
``TrainingHelper`` (teacher forcing), ``ScheduledEmbeddingTrainingHelper`` /
``ScheduledOutputTrainingHelper`` (scheduled sampling), ``GreedyEmbeddingHelper``,
``SampleEmbeddingHelper`` and ``InferenceHelper`` (inference), ``CustomHelper``;
attention: ``LuongAttention``, ``BahdanauAttention`` (scaled / normalized forms, memory
masking by length), ``AttentionWrapper`` with ``AttentionWrapperState``, ``hardmax`` and
``tile_batch``;
``BeamSearchDecoder`` (length and coverage penalties) with ``gather_tree``; the monotonic
attentions ``BahdanauMonotonicAttention`` / ``LuongMonotonicAttention`` with
``monotonic_attention`` and ``safe_cumprod``.

Written after TF 1.15's documented behaviour. sequence_loss: weights mask or weight the
tokens, and the loss is averaged by the total weight (``average_across_*``) or summed and
divided by the count of non-zero weights (``sum_over_*``), over the batch, the time steps,
both or neither; a zero denominator gives 0. dynamic_decode: variables under the scope
``decoder`` (the cell's and the output layer's, so TF 1.x checkpoints restore),
``initialize()`` once and ``step()`` in a ``while_loop`` until every batch entry is
finished or ``maximum_iterations``; a sequence's length is the step at which it first
finished; with ``impute_finished`` the outputs after that step are zeros and the state is
carried through unchanged; outputs batch major unless ``output_time_major``. Attention:
TF 1.15's variables (``memory_layer/kernel`` where the mechanism is built;
``attention_wrapper/{<cell>, attention_layer, luong_attention/attention_g,
bahdanau_attention/{query_layer/kernel, attention_v, attention_g, attention_b}}`` inside
the decoder), scores masked to -inf past ``memory_sequence_length``, the attention fed
back into the next step's cell input. Beam search: every step scores each beam's
extensions by total log-probability (divided by TF1's length penalty
``((5 + length) / 6) ** weight``, plus the coverage penalty on finished beams), keeps the
top ``beam_width`` per batch entry (best first), finished beams only extend with the end
token, and ``finalize`` follows the parent pointers back (``gather_tree``: ids after a
beam's first end token are the end token), reordering TensorArrays in the cell state
(alignment history) the same way. TF 2.21 has no GatherTree kernel: ``gather_tree`` is
written with TF ops after the kernel's documented behaviour.
"""

import abc
import collections
import functools

import numpy as np

import tensorflow as _tf
from tensorflow.python.framework import tensor_util as _tensor_util
from tensorflow.python.ops import control_flow_util as _control_flow_util

from compat.tf1.guard import GuardedObject

__all__ = ["sequence_loss", "Decoder", "BasicDecoder", "BasicDecoderOutput", "dynamic_decode",
           "Helper", "TrainingHelper", "GreedyEmbeddingHelper", "SampleEmbeddingHelper",
           "CustomHelper", "InferenceHelper", "ScheduledEmbeddingTrainingHelper",
           "ScheduledOutputTrainingHelper",
           "AttentionMechanism", "AttentionWrapperState", "hardmax", "tile_batch",
           "BeamSearchDecoder", "BeamSearchDecoderState", "BeamSearchDecoderOutput",
           "FinalBeamSearchDecoderOutput", "gather_tree", "monotonic_attention",
           "safe_cumprod"]
# built on tf-keras's TF1 RNNCell and tf.layers.Dense by attention_classes()
ATTENTION_CLASSES = ("LuongAttention", "BahdanauAttention", "AttentionWrapper",
                     "BahdanauMonotonicAttention", "LuongMonotonicAttention")

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
def _plain(structure):
    """`structure` without the shim's proxies at any depth (a state tuple the caller
    got back from a TF1 API call is proxied; TF's nest sees a proxy as one leaf)."""
    if isinstance(structure, GuardedObject):
        structure = structure.__wrapped__
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*[_plain(x) for x in structure])
    if isinstance(structure, (list, tuple)):
        return type(structure)(_plain(x) for x in structure)
    if isinstance(structure, dict):
        return type(structure)((k, _plain(v)) for k, v in structure.items())
    return structure


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

    __compat_guarded_instances__ = True  # through compat.v1, methods run in graph mode

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
        """The step's ids from its outputs (logits): the argmax here."""
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

    def _ids(self, outputs):
        logits = outputs if self._softmax_temperature is None else (
            outputs / self._softmax_temperature)
        return _v1.distributions.Categorical(logits=logits).sample(seed=self._seed)


class _DeclaredSamples(Helper):
    """A helper whose sample ids' shape and dtype are given to it."""

    @property
    def sample_ids_shape(self):
        return self._sample_ids_shape

    @property
    def sample_ids_dtype(self):
        return self._sample_ids_dtype


class CustomHelper(_DeclaredSamples):
    """A helper from three functions: ``initialize_fn()`` -> (finished, inputs),
    ``sample_fn(time, outputs, state)`` -> sample ids and
    ``next_inputs_fn(time, outputs, state, sample_ids)`` -> (finished, inputs, state)."""

    def __init__(self, initialize_fn, sample_fn, next_inputs_fn, sample_ids_shape=None,
                 sample_ids_dtype=None):
        self._initialize_fn = initialize_fn
        self._sample_fn = sample_fn
        self._next_inputs_fn = next_inputs_fn
        self._batch_size = None
        self._sample_ids_shape = _tf.TensorShape(sample_ids_shape or [])
        self._sample_ids_dtype = sample_ids_dtype or _tf.int32

    @property
    def batch_size(self):
        if self._batch_size is None:
            raise ValueError("batch_size accessed before initialize was called")
        return self._batch_size

    def initialize(self, name=None):
        with _tf.name_scope(name or f"{type(self).__name__}Initialize"):
            finished, next_inputs = self._initialize_fn()
            if self._batch_size is None:
                self._batch_size = _tf.size(finished)
        return finished, next_inputs

    def sample(self, time, outputs, state, name=None):
        with _tf.name_scope(name or f"{type(self).__name__}Sample"):
            return self._sample_fn(time=time, outputs=outputs, state=state)

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        with _tf.name_scope(name or f"{type(self).__name__}NextInputs"):
            return self._next_inputs_fn(time=time, outputs=outputs, state=state,
                                        sample_ids=sample_ids)


class InferenceHelper(_DeclaredSamples):
    """Inference on continuous outputs: ``sample_fn(outputs)`` gives the sample,
    ``next_inputs_fn(sample)`` (default: the sample itself) the next input, and
    ``end_fn(sample)`` which batch entries are finished."""

    def __init__(self, sample_fn, sample_shape, sample_dtype, start_inputs, end_fn,
                 next_inputs_fn=None):
        self._sample_fn = sample_fn
        self._end_fn = end_fn
        self._sample_ids_shape = _tf.TensorShape(sample_shape)
        self._sample_ids_dtype = sample_dtype
        self._next_inputs_fn = next_inputs_fn
        self._start_inputs = _tf.convert_to_tensor(start_inputs, name="start_inputs")
        self._batch_size = _tf.shape(self._start_inputs)[0]

    @property
    def batch_size(self):
        return self._batch_size

    def initialize(self, name=None):
        return _tf.tile([False], [self._batch_size]), self._start_inputs

    def sample(self, time, outputs, state, name=None):
        return self._sample_fn(outputs)

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        next_inputs = sample_ids if self._next_inputs_fn is None else (
            self._next_inputs_fn(sample_ids))
        return self._end_fn(sample_ids), next_inputs, state


def _sampling_probability(value):
    value = _tf.convert_to_tensor(value, name="sampling_probability")
    if value.shape.rank not in (0, 1):
        raise ValueError("sampling_probability must be either a scalar or a vector. saw "
                         f"shape: {value.shape}")
    return value


def _scatter_rows(take, taken, kept, shape):
    """Rows where `take` holds from `taken` (in order), the others from `kept`."""
    taken_at = _tf.cast(_v1.where(take), _tf.int32)
    kept_at = _tf.cast(_v1.where(_tf.logical_not(take)), _tf.int32)
    return (_tf.scatter_nd(indices=taken_at, updates=taken, shape=shape)
            + _tf.scatter_nd(indices=kept_at, updates=kept, shape=shape))


class ScheduledEmbeddingTrainingHelper(TrainingHelper):
    """Teacher forcing with scheduled sampling: with probability
    `sampling_probability` per batch entry and step, the next input is the embedding of
    an id drawn from the outputs (logits) instead of the true input; sample ids are -1
    where no sampling took place."""

    def __init__(self, inputs, sequence_length, embedding, sampling_probability,
                 time_major=False, seed=None, scheduling_seed=None, name=None):
        with _tf.name_scope(name or "ScheduledEmbeddingSamplingWrapper"):
            self._embedding_fn = _embedding_fn(embedding)
            self._sampling_probability = _sampling_probability(sampling_probability)
            self._seed = seed
            self._scheduling_seed = scheduling_seed
            super().__init__(inputs=inputs, sequence_length=sequence_length,
                             time_major=time_major, name=name)

    def sample(self, time, outputs, state, name=None):
        with _tf.name_scope(name or "ScheduledEmbeddingTrainingHelperSample"):
            noise = _v1.random_uniform([self.batch_size], seed=self._scheduling_seed)
            select = self._sampling_probability > noise
            drawn = _v1.distributions.Categorical(logits=outputs).sample(seed=self._seed)
            return _v1.where(select, drawn, _tf.tile([-1], [self.batch_size]))

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        with _tf.name_scope(name or "ScheduledEmbeddingTrainingHelperSample"):
            finished, base, state = super().next_inputs(time=time, outputs=outputs,
                                                        state=state, sample_ids=sample_ids)

            def sampled():
                take = sample_ids > -1
                ids = _tf.boolean_mask(sample_ids, take)
                return _scatter_rows(take, self._embedding_fn(ids),
                                     _tf.boolean_mask(base, _tf.logical_not(take)),
                                     _tf.shape(base))

            next_inputs = _v1.cond(_tf.reduce_all(finished), lambda: base, sampled)
            return finished, next_inputs, state


class ScheduledOutputTrainingHelper(TrainingHelper):
    """Teacher forcing with scheduled sampling of the outputs themselves: with
    probability `sampling_probability` the next input is the step's output (through
    `next_input_layer` if given; `auxiliary_inputs` concatenated); sample ids are booleans
    (True where sampled)."""

    def __init__(self, inputs, sequence_length, sampling_probability, time_major=False,
                 seed=None, next_input_layer=None, auxiliary_inputs=None, name=None):
        with _tf.name_scope(name or "ScheduledOutputTrainingHelper"):
            self._sampling_probability = _sampling_probability(sampling_probability)
            if auxiliary_inputs is None:
                combined = inputs
            else:
                inputs = _tf.convert_to_tensor(inputs, name="inputs")
                auxiliary_inputs = _tf.convert_to_tensor(auxiliary_inputs,
                                                         name="auxiliary_inputs")
                combined = _tf.concat((inputs, auxiliary_inputs), -1)
                if not time_major:
                    auxiliary_inputs = _transpose_batch_time(auxiliary_inputs)
            self._auxiliary_ta = (None if auxiliary_inputs is None
                                  else _unstack_ta(auxiliary_inputs))
            self._seed = seed
            if next_input_layer is not None and not (
                    callable(next_input_layer)
                    and hasattr(next_input_layer, "compute_output_shape")):
                raise TypeError("next_input_layer must be a Layer, received: "
                                f"{type(next_input_layer)}")
            self._next_input_layer = next_input_layer
            super().__init__(inputs=combined, sequence_length=sequence_length,
                             time_major=time_major, name=name)

    @property
    def sample_ids_dtype(self):
        return _tf.bool

    def sample(self, time, outputs, state, name=None):
        with _tf.name_scope(name or "ScheduledOutputTrainingHelperSample"):
            sampler = _v1.distributions.Bernoulli(probs=self._sampling_probability)
            return _tf.cast(sampler.sample(sample_shape=self.batch_size, seed=self._seed),
                            _tf.bool)

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        with _tf.name_scope(name or "ScheduledOutputTrainingHelperNextInputs"):
            finished, base, state = super().next_inputs(time=time, outputs=outputs,
                                                        state=state, sample_ids=sample_ids)

            def with_auxiliary(values, take=None):
                if self._auxiliary_ta is None:
                    return values
                auxiliary = self._auxiliary_ta.read(time + 1)
                if take is not None:
                    auxiliary = _tf.boolean_mask(auxiliary, take)
                return _tf.concat((values, auxiliary), -1)

            def sampled():
                if self._next_input_layer is None:
                    return _v1.where(sample_ids, with_auxiliary(outputs), base)
                taken = with_auxiliary(
                    self._next_input_layer(_tf.boolean_mask(outputs, sample_ids)), sample_ids)
                return _scatter_rows(sample_ids, taken,
                                     _tf.boolean_mask(base, _tf.logical_not(sample_ids)),
                                     _tf.shape(base))

            no_samples = _tf.logical_not(_tf.reduce_any(sample_ids))
            next_inputs = _v1.cond(_tf.logical_or(_tf.reduce_all(finished), no_samples),
                                   lambda: base, sampled)
            return finished, next_inputs, state


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


# --- attention ---------------------------------------------------------------------------
def hardmax(logits, name=None):
    """One-hot vectors at the maximum logit of each row."""
    with _tf.name_scope(name or "Hardmax"):
        logits = _tf.convert_to_tensor(logits, name="logits")
        depth = logits.shape[-1] if logits.shape[-1] is not None else _tf.shape(logits)[-1]
        return _tf.one_hot(_tf.argmax(logits, -1), depth, dtype=logits.dtype)


def tile_batch(t, multiplier, name=None):
    """Each batch entry of (a structure of) `t` repeated `multiplier` times in place
    ([a, b] -> [a, a, b, b]), as beam search expects its memory."""
    flat = _tf.nest.flatten(t)
    with _tf.name_scope(name or "tile_batch"):

        def tile(x):
            x = _tf.convert_to_tensor(x, name="t")
            if x.shape.rank is None or x.shape.rank < 1:
                raise ValueError("t must have statically known rank")
            shape = _tf.shape(x)
            tiling = [1] * (x.shape.rank + 1)
            tiling[1] = multiplier
            tiled = _tf.tile(_tf.expand_dims(x, 1), tiling)
            tiled = _tf.reshape(tiled, _tf.concat(([shape[0] * multiplier], shape[1:]), 0))
            batch = x.shape[0] * multiplier if x.shape[0] is not None else None
            tiled.set_shape(_tf.TensorShape([batch]).concatenate(x.shape[1:]))
            return tiled

        return _tf.nest.pack_sequence_as(t, [tile(x) for x in flat])


class AttentionMechanism:
    """Base class of the attention mechanisms :class:`AttentionWrapper` accepts."""

    __compat_guarded_instances__ = True

    @property
    def alignments_size(self):
        raise NotImplementedError

    @property
    def state_size(self):
        raise NotImplementedError


class AttentionWrapperState(collections.namedtuple(
        "AttentionWrapperState", ("cell_state", "attention", "time", "alignments",
                                  "alignment_history", "attention_state"))):
    """The state of an :class:`AttentionWrapper` (``clone(cell_state=...)`` replaces
    fields, keeping their static shapes)."""

    def clone(self, **kwargs):
        def same_shape(old, new):
            if _tf.is_tensor(old) and _tf.is_tensor(new):
                if not new.shape.is_compatible_with(old.shape):
                    raise ValueError(f"Shapes {new.shape} and {old.shape} are incompatible "
                                     "(AttentionWrapperState.clone keeps each field's "
                                     "shape)")
                new.set_shape(old.shape)
            return new

        kwargs = {k: _plain(v) for k, v in kwargs.items()}
        return _tf.nest.map_structure(same_shape, self, self._replace(**kwargs))


def _prepare_memory(memory, memory_sequence_length, check_inner_dims_defined):
    memory = _tf.nest.map_structure(lambda m: _tf.convert_to_tensor(m, name="memory"), memory)
    if check_inner_dims_defined:
        for m in _tf.nest.flatten(memory):
            if not m.shape[2:].is_fully_defined():
                raise ValueError(f"Expected memory {m.name} to have fully defined inner dims, "
                                 f"but saw shape: {m.shape}")
    if memory_sequence_length is None:
        return memory
    first = _tf.nest.flatten(memory)[0]
    mask = _tf.sequence_mask(_tf.convert_to_tensor(memory_sequence_length,
                                                   name="memory_sequence_length"),
                             maxlen=_tf.shape(first)[1], dtype=first.dtype)

    def masked(m):
        rank = m.shape.rank if m.shape.rank is not None else _tf.rank(m)
        ones = _tf.ones(rank - 2, dtype=_tf.int32)
        return m * _tf.reshape(mask, _tf.concat((_tf.shape(mask), ones), 0))

    return _tf.nest.map_structure(masked, memory)


def _mask_score(score, memory_sequence_length, score_mask_value):
    if memory_sequence_length is None:
        return score
    check = _v1.assert_positive(
        memory_sequence_length,
        message="All values in memory_sequence_length must be greater than zero.")
    with _tf.control_dependencies([check]):
        mask = _tf.sequence_mask(memory_sequence_length, maxlen=_tf.shape(score)[1])
    return _v1.where(mask, score, score_mask_value * _tf.ones_like(score))


def _luong_score(query, keys, scale):
    depth, key_units = query.shape[-1], keys.shape[-1]
    if depth != key_units:
        raise ValueError(
            "Incompatible or unknown inner dimensions between query and keys.  Query "
            f"({query}) has units: {depth}.  Keys ({keys}) have units: {key_units}.  Perhaps "
            f"you need to set num_units to the keys' dimension ({key_units})?")
    score = _tf.squeeze(_tf.matmul(_tf.expand_dims(query, 1), keys, transpose_b=True), [1])
    return score if scale is None else scale * score


def _bahdanau_score(processed_query, keys, v, g=None, b=None):
    processed_query = _tf.expand_dims(processed_query, 1)
    if g is not None and b is not None:
        normed_v = g * v * _tf.math.rsqrt(_tf.reduce_sum(_tf.square(v)))
        return _tf.reduce_sum(normed_v * _tf.tanh(keys + processed_query + b), [2])
    return _tf.reduce_sum(v * _tf.tanh(keys + processed_query), [2])


def _compute_attention(mechanism, cell_output, attention_state, attention_layer):
    alignments, next_attention_state = mechanism(cell_output, state=attention_state)
    context = _tf.squeeze(_tf.matmul(_tf.expand_dims(alignments, 1), mechanism.values), [1])
    if attention_layer is not None:
        attention = attention_layer(_tf.concat([cell_output, context], 1))
    else:
        attention = context
    return attention, alignments, next_attention_state


def safe_cumprod(x, *args, **kwargs):
    """cumprod of positive `x` computed as exp(cumsum(log x)) (x clipped to [tiny, 1]),
    which neither underflows nor has an unstable gradient; arguments as tf.cumprod."""
    with _tf.name_scope("SafeCumprod"):
        x = _tf.convert_to_tensor(x, name="x")
        tiny = np.finfo(x.dtype.as_numpy_dtype).tiny
        return _tf.exp(_tf.cumsum(_tf.math.log(_tf.clip_by_value(x, tiny, 1)), *args,
                                  **kwargs))


def monotonic_attention(p_choose_i, previous_attention, mode):
    """The monotonic attention distribution (Raffel et al. 2017) from the choosing
    probabilities [batch, memory time] and the previous step's attention:
    ``attention[i] = p[i] * q[i]``, ``q[i] = (1 - p[i - 1]) * q[i - 1] + previous[i]``;
    mode 'recursive' (a scan, exact), 'parallel' (closed form with cumulative products)
    or 'hard' (probabilities of 0 or 1 only)."""
    p_choose_i = _tf.convert_to_tensor(p_choose_i, name="p_choose_i")
    previous_attention = _tf.convert_to_tensor(previous_attention, name="previous_attention")
    if mode == "recursive":
        batch = _static_or_dynamic(p_choose_i, 0)
        shifted = _tf.concat([_tf.ones((batch, 1)), 1 - p_choose_i[:, :-1]], 1)
        q = _tf.scan(lambda x, yz: _tf.reshape(yz[0] * x + yz[1], (batch,)),
                     [_tf.transpose(shifted), _tf.transpose(previous_attention)],
                     _tf.zeros((batch,)))
        return p_choose_i * _tf.transpose(q)
    if mode == "parallel":
        cumprod = safe_cumprod(1 - p_choose_i, axis=1, exclusive=True)
        return p_choose_i * cumprod * _tf.cumsum(
            previous_attention / _tf.clip_by_value(cumprod, 1e-10, 1.0), axis=1)
    if mode == "hard":
        p_choose_i *= _tf.cumsum(previous_attention, axis=1)
        return p_choose_i * _tf.math.cumprod(1 - p_choose_i, axis=1, exclusive=True)
    raise ValueError("mode must be 'recursive', 'parallel', or 'hard'.")


def _monotonic_probability_fn(score, previous_alignments, sigmoid_noise, mode, seed=None):
    if sigmoid_noise > 0:
        score += sigmoid_noise * _v1.random_normal(_tf.shape(score), dtype=score.dtype,
                                                   seed=seed)
    if mode == "hard":
        p_choose_i = _tf.cast(score > 0, score.dtype)
    else:
        p_choose_i = _tf.sigmoid(score)
    return monotonic_attention(p_choose_i, previous_alignments, mode)


def _monotonic_fn(sigmoid_noise, mode, seed):
    return functools.partial(_monotonic_probability_fn, sigmoid_noise=sigmoid_noise,
                             mode=mode, seed=seed)


def _dirac_alignments(mechanism, batch_size, dtype):
    """All attention on the first memory step (monotonic attention starts there)."""
    return _tf.one_hot(_tf.zeros((batch_size,), dtype=_tf.int32),
                       mechanism.alignments_size, dtype=dtype)


def _with_score_bias(mechanism, score, dtype):
    """`score` plus the mechanism's learned ``attention_score_bias`` if it has one."""
    if mechanism._score_bias_init is None:  # noqa: SLF001 - the mechanism's own setting
        return score
    return score + _v1.get_variable("attention_score_bias", dtype=dtype,
                                    initializer=mechanism._score_bias_init)  # noqa: SLF001


def _static_or_dynamic(tensor, axis):
    return tensor.shape[axis] or _tf.shape(tensor)[axis]


def attention_classes(rnn_cell, dense):
    """{name: class} of LuongAttention, BahdanauAttention and AttentionWrapper, on
    tf-keras's TF1 ``RNNCell`` (`rnn_cell`) and ``tf.layers.Dense`` (`dense`)."""
    layer_base = next(c for c in dense.__mro__ if c.__name__ == "Layer")  # tf.layers.Layer

    class _BaseAttentionMechanism(AttentionMechanism):
        _score_bias_init = None  # the monotonic attentions learn a bias from this value
        def __init__(self, query_layer, memory, probability_fn, memory_sequence_length=None,
                     memory_layer=None, check_inner_dims_defined=True,
                     score_mask_value=None, custom_key_value_fn=None, name=None):
            for what, layer in (("query_layer", query_layer), ("memory_layer", memory_layer)):
                if layer is not None and not isinstance(layer, layer_base):
                    raise TypeError(f"{what} is not a Layer: {type(layer).__name__}")
            if not callable(probability_fn):
                raise TypeError("probability_fn must be callable, saw type: "
                                f"{type(probability_fn).__name__}")
            self._query_layer = query_layer
            self._memory_layer = memory_layer
            self.dtype = memory_layer.dtype
            if score_mask_value is None:
                score_mask_value = _tf.as_dtype(memory_layer.dtype).as_numpy_dtype(-float("inf"))
            self._probability_fn = lambda score, previous: probability_fn(
                _mask_score(score, memory_sequence_length, score_mask_value), previous)
            with _tf.name_scope(name or "BaseAttentionMechanismInit"):
                self._values = _prepare_memory(memory, memory_sequence_length,
                                               check_inner_dims_defined)
                self._keys = (self._memory_layer(self._values) if self._memory_layer
                              else self._values)
                if custom_key_value_fn is not None:
                    self._keys, self._values = custom_key_value_fn(self._keys, self._values)
                self._batch_size = _static_or_dynamic(self._keys, 0)
                self._alignments_size = _static_or_dynamic(self._keys, 1)

        memory_layer = property(lambda self: self._memory_layer)
        query_layer = property(lambda self: self._query_layer)
        values = property(lambda self: self._values)
        keys = property(lambda self: self._keys)
        batch_size = property(lambda self: self._batch_size)
        alignments_size = property(lambda self: self._alignments_size)
        state_size = property(lambda self: self._alignments_size)

        def initial_alignments(self, batch_size, dtype):
            return _tf.zeros(_tf.stack([batch_size, self._alignments_size]), dtype=dtype)

        def initial_state(self, batch_size, dtype):
            return self.initial_alignments(batch_size, dtype)

    def wrapped(probability_fn):
        probability_fn = _tf.nn.softmax if probability_fn is None else probability_fn
        return lambda score, _: probability_fn(score)

    class LuongAttention(_BaseAttentionMechanism):
        """Multiplicative attention (Luong et al. 2015), optionally with a learned
        scale ``attention_g``; the query's depth must equal `num_units`."""

        def __init__(self, num_units, memory, memory_sequence_length=None, scale=False,
                     probability_fn=None, score_mask_value=None, dtype=None,
                     custom_key_value_fn=None, name="LuongAttention", *, _probability=None):
            super().__init__(
                query_layer=None,
                memory_layer=dense(num_units, name="memory_layer", use_bias=False,
                                   dtype=dtype or _tf.float32),
                memory=memory, probability_fn=_probability or wrapped(probability_fn),
                memory_sequence_length=memory_sequence_length,
                score_mask_value=score_mask_value, custom_key_value_fn=custom_key_value_fn,
                name=name)
            self._num_units = num_units
            self._scale = scale
            self._name = name

        _scope = "luong_attention"

        def __call__(self, query, state):
            with _v1.variable_scope(None, self._scope, [query]):
                g = _v1.get_variable("attention_g", dtype=query.dtype, shape=(),
                                     initializer=_v1.ones_initializer) if self._scale else None
                score = _with_score_bias(self, _luong_score(query, self._keys, g), query.dtype)
            alignments = self._probability_fn(score, state)
            return alignments, alignments

    class BahdanauAttention(_BaseAttentionMechanism):
        """Additive attention (Bahdanau et al. 2015), optionally weight-normalized
        (``attention_g``, ``attention_b``)."""

        def __init__(self, num_units, memory, memory_sequence_length=None, normalize=False,
                     probability_fn=None, score_mask_value=None, dtype=None,
                     custom_key_value_fn=None, name="BahdanauAttention", *,
                     _probability=None):
            dtype = dtype or _tf.float32
            super().__init__(
                query_layer=dense(num_units, name="query_layer", use_bias=False, dtype=dtype),
                memory_layer=dense(num_units, name="memory_layer", use_bias=False,
                                   dtype=dtype),
                memory=memory, probability_fn=_probability or wrapped(probability_fn),
                custom_key_value_fn=custom_key_value_fn,
                memory_sequence_length=memory_sequence_length,
                score_mask_value=score_mask_value, name=name)
            self._num_units = num_units
            self._normalize = normalize
            self._name = name

        _scope = "bahdanau_attention"

        def __call__(self, query, state):
            with _v1.variable_scope(None, self._scope, [query]):
                processed = self.query_layer(query) if self.query_layer else query
                v = _v1.get_variable("attention_v", [self._num_units], dtype=query.dtype)
                g = b = None
                if self._normalize:
                    g = _v1.get_variable(
                        "attention_g", dtype=query.dtype, shape=(),
                        initializer=_v1.constant_initializer((1.0 / self._num_units) ** 0.5))
                    b = _v1.get_variable("attention_b", [self._num_units], dtype=query.dtype,
                                         initializer=_v1.zeros_initializer())
                score = _with_score_bias(self, _bahdanau_score(processed, self._keys, v, g, b),
                                         processed.dtype)
            alignments = self._probability_fn(score, state)
            return alignments, alignments

    class BahdanauMonotonicAttention(BahdanauAttention):
        """Bahdanau-style scores (optionally normalized) plus a learned
        ``attention_score_bias``, turned into monotonic attention (Raffel et al. 2017)."""

        _scope = "bahdanau_monotonic_attention"
        initial_alignments = _dirac_alignments

        def __init__(self, num_units, memory, memory_sequence_length=None, normalize=False,
                     score_mask_value=None, sigmoid_noise=0.0, sigmoid_noise_seed=None,
                     score_bias_init=0.0, mode="parallel", dtype=None,
                     name="BahdanauMonotonicAttention"):
            super().__init__(num_units, memory, memory_sequence_length, normalize,
                             score_mask_value=score_mask_value, dtype=dtype, name=name,
                             _probability=_monotonic_fn(sigmoid_noise, mode,
                                                        sigmoid_noise_seed))
            self._score_bias_init = score_bias_init

    class LuongMonotonicAttention(LuongAttention):
        """Luong-style scores (optionally scaled) plus a learned ``attention_score_bias``,
        turned into monotonic attention (Raffel et al. 2017)."""

        _scope = "luong_monotonic_attention"
        initial_alignments = _dirac_alignments

        def __init__(self, num_units, memory, memory_sequence_length=None, scale=False,
                     score_mask_value=None, sigmoid_noise=0.0, sigmoid_noise_seed=None,
                     score_bias_init=0.0, mode="parallel", dtype=None,
                     name="LuongMonotonicAttention"):
            super().__init__(num_units, memory, memory_sequence_length, scale,
                             score_mask_value=score_mask_value, dtype=dtype, name=name,
                             _probability=_monotonic_fn(sigmoid_noise, mode,
                                                        sigmoid_noise_seed))
            self._score_bias_init = score_bias_init

    class AttentionWrapper(rnn_cell):
        """Wraps `cell` with attention over one or more mechanisms: each step feeds
        ``cell_input_fn(inputs, previous attention)`` to the cell, scores its output
        against the memory and emits the attention (``output_attention``) or the cell
        output."""

        __compat_guarded_instances__ = True

        def __init__(self, cell, attention_mechanism, attention_layer_size=None,
                     alignment_history=False, cell_input_fn=None, output_attention=True,
                     initial_cell_state=None, name=None, attention_layer=None,
                     attention_fn=None, dtype=None):
            super().__init__(name=name, dtype=dtype)
            _check_cell(cell)
            self._is_multi = isinstance(attention_mechanism, (list, tuple))
            mechanisms = tuple(attention_mechanism) if self._is_multi else (
                attention_mechanism,)
            for mechanism in mechanisms:
                if not isinstance(mechanism, AttentionMechanism):
                    raise TypeError(
                        ("attention_mechanism must contain only instances of "
                         "AttentionMechanism, saw type: %s" if self._is_multi else
                         "attention_mechanism must be an AttentionMechanism or list of "
                         "multiple AttentionMechanism instances, saw type: %s")
                        % type(mechanism).__name__)
            if cell_input_fn is None:
                cell_input_fn = lambda inputs, attention: _tf.concat(  # noqa: E731
                    [inputs, attention], -1)
            elif not callable(cell_input_fn):
                raise TypeError("cell_input_fn must be callable, saw type: "
                                f"{type(cell_input_fn).__name__}")
            if attention_layer_size is not None and attention_layer is not None:
                raise ValueError("Only one of attention_layer_size and attention_layer "
                                 "should be set")
            if attention_layer_size is not None:
                sizes = tuple(attention_layer_size if isinstance(
                    attention_layer_size, (list, tuple)) else (attention_layer_size,))
                if len(sizes) != len(mechanisms):
                    raise ValueError("If provided, attention_layer_size must contain exactly "
                                     "one integer per attention_mechanism, saw: "
                                     f"{len(sizes)} vs {len(mechanisms)}")
                self._attention_layers = tuple(
                    dense(size, name="attention_layer", use_bias=False, dtype=m.dtype)
                    for size, m in zip(sizes, mechanisms))
                self._attention_layer_size = sum(sizes)
            elif attention_layer is not None:
                self._attention_layers = tuple(attention_layer if isinstance(
                    attention_layer, (list, tuple)) else (attention_layer,))
                if len(self._attention_layers) != len(mechanisms):
                    raise ValueError("If provided, attention_layer must contain exactly one "
                                     "layer per attention_mechanism, saw: "
                                     f"{len(self._attention_layers)} vs {len(mechanisms)}")
                self._attention_layer_size = sum(
                    _tf.TensorShape(layer.compute_output_shape(
                        [None, cell.output_size + m.values.shape[-1]]))[-1]
                    for layer, m in zip(self._attention_layers, mechanisms))
            else:
                self._attention_layers = None
                self._attention_layer_size = sum(m.values.shape[-1] for m in mechanisms)
            self._attention_fn = attention_fn or _compute_attention
            self._cell = cell
            self._attention_mechanisms = mechanisms
            self._cell_input_fn = cell_input_fn
            self._output_attention = output_attention
            self._alignment_history = alignment_history
            with _tf.name_scope(name or "AttentionWrapperInit"):
                initial_cell_state = _plain(initial_cell_state)
                if initial_cell_state is None:
                    self._initial_cell_state = None
                else:
                    last = _tf.nest.flatten(initial_cell_state)[-1]
                    checks = self._batch_size_checks(
                        _static_or_dynamic(last, 0),
                        f"When constructing AttentionWrapper {self._base_name}: "
                        + _BATCH_MISMATCH.format(what="initial_cell_state",
                                                 hint=_TILE_STATE))
                    with _tf.control_dependencies(checks):
                        self._initial_cell_state = _tf.nest.map_structure(
                            lambda s: _tf.identity(s, name="check_initial_cell_state"),
                            initial_cell_state)

        def _batch_size_checks(self, batch_size, message):
            return [_v1.assert_equal(batch_size, m.batch_size, message=message)
                    for m in self._attention_mechanisms]

        def _item_or_tuple(self, seq):
            seq = tuple(seq)
            return seq if self._is_multi else seq[0]

        @property
        def output_size(self):
            return self._attention_layer_size if self._output_attention else (
                self._cell.output_size)

        @property
        def state_size(self):
            return AttentionWrapperState(
                cell_state=self._cell.state_size, time=_tf.TensorShape([]),
                attention=self._attention_layer_size,
                alignments=self._item_or_tuple(
                    m.alignments_size for m in self._attention_mechanisms),
                attention_state=self._item_or_tuple(
                    m.state_size for m in self._attention_mechanisms),
                alignment_history=self._item_or_tuple(
                    m.alignments_size if self._alignment_history else ()
                    for m in self._attention_mechanisms))

        def zero_state(self, batch_size, dtype):
            with _tf.name_scope(type(self).__name__ + "ZeroState"):
                cell_state = self._initial_cell_state
                if cell_state is None:
                    cell_state = _plain(self._cell.get_initial_state(batch_size=batch_size,
                                                                     dtype=dtype))
                checks = self._batch_size_checks(
                    batch_size, f"When calling zero_state of AttentionWrapper "
                    f"{self._base_name}: " + _BATCH_MISMATCH.format(
                        what="the requested batch size", hint=_TILE_ZERO_STATE))
                with _tf.control_dependencies(checks):
                    cell_state = _tf.nest.map_structure(
                        lambda s: _tf.identity(s, name="checked_cell_state"), cell_state)
                alignments = [m.initial_alignments(batch_size, dtype)
                              for m in self._attention_mechanisms]
                return AttentionWrapperState(
                    cell_state=cell_state, time=_tf.zeros([], dtype=_tf.int32),
                    attention=_tf.zeros(_tf.stack([batch_size, self._attention_layer_size]),
                                        dtype=dtype),
                    alignments=self._item_or_tuple(alignments),
                    attention_state=self._item_or_tuple(
                        m.initial_state(batch_size, dtype)
                        for m in self._attention_mechanisms),
                    alignment_history=self._item_or_tuple(
                        _tf.TensorArray(dtype, size=0, dynamic_size=True,
                                        element_shape=a.shape)
                        if self._alignment_history else () for a in alignments))

        def call(self, inputs, state):
            if not isinstance(state, AttentionWrapperState):
                raise TypeError("Expected state to be instance of AttentionWrapperState. "
                                f"Received type {type(state)} instead.")
            cell_inputs = self._cell_input_fn(inputs, state.attention)
            cell_output, next_cell_state = _plain(self._cell(cell_inputs, state.cell_state))
            checks = self._batch_size_checks(
                _static_or_dynamic(cell_output, 0),
                f"When applying AttentionWrapper {self.name}: " + _BATCH_MISMATCH.format(
                    what="the query (decoder output)", hint=_TILE_MEMORY))
            with _tf.control_dependencies(checks):
                cell_output = _tf.identity(cell_output, name="checked_cell_output")
            previous_states = state.attention_state if self._is_multi else [
                state.attention_state]
            previous_histories = state.alignment_history if self._is_multi else [
                state.alignment_history]
            attentions, alignments, states, histories = [], [], [], []
            for i, mechanism in enumerate(self._attention_mechanisms):
                attention, alignment, next_state = self._attention_fn(
                    mechanism, cell_output, previous_states[i],
                    self._attention_layers[i] if self._attention_layers else None)
                histories.append(previous_histories[i].write(state.time, alignment)
                                 if self._alignment_history else ())
                attentions.append(attention)
                alignments.append(alignment)
                states.append(next_state)
            attention = _tf.concat(attentions, 1)
            next_state = AttentionWrapperState(
                time=state.time + 1, cell_state=next_cell_state, attention=attention,
                attention_state=self._item_or_tuple(states),
                alignments=self._item_or_tuple(alignments),
                alignment_history=self._item_or_tuple(histories))
            return (attention if self._output_attention else cell_output), next_state

    return {"LuongAttention": LuongAttention, "BahdanauAttention": BahdanauAttention,
            "AttentionWrapper": AttentionWrapper,
            "BahdanauMonotonicAttention": BahdanauMonotonicAttention,
            "LuongMonotonicAttention": LuongMonotonicAttention}


_BATCH_MISMATCH = ("Non-matching batch sizes between the memory (encoder output) and "
                   "{what}.  Are you using the BeamSearchDecoder?  {hint}")
_TILE_STATE = ("You may need to tile your initial state via the tf.contrib.seq2seq.tile_batch "
               "function with argument multiple=beam_width.")
_TILE_ZERO_STATE = ("If so, make sure your encoder output has been tiled to beam_width via "
                    "tf.contrib.seq2seq.tile_batch, and the batch_size= argument passed to "
                    "zero_state is batch_size * beam_width.")
_TILE_MEMORY = ("You may need to tile your memory input via the tf.contrib.seq2seq.tile_batch "
                "function with argument multiple=beam_width.")


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
