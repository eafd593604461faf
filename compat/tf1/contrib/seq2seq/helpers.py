"""The decoding helpers of ``tf.contrib.seq2seq``: teacher forcing, scheduled sampling,
greedy, sampling, inference and custom helpers, after TF 1.15's behaviour."""

import abc


import tensorflow as _tf


from compat.tf1.contrib.seq2seq.common import _transpose_batch_time, _unstack_ta, _v1


__all__ = ["CustomHelper", "GreedyEmbeddingHelper", "Helper", "InferenceHelper",
    "SampleEmbeddingHelper", "ScheduledEmbeddingTrainingHelper",
    "ScheduledOutputTrainingHelper", "TrainingHelper"]


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
