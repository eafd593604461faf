"""Attention: Luong / Bahdanau (and their monotonic forms) under ``AttentionWrapper``,
with TF 1.15's variable names; ``hardmax``, ``tile_batch``."""

import collections


import tensorflow as _tf


from compat.tf1.contrib.seq2seq.common import _plain, _static_or_dynamic, _v1
from compat.tf1.contrib.seq2seq.decoder import _check_cell
from compat.tf1.contrib.seq2seq.monotonic import _dirac_alignments, _monotonic_fn, _with_score_bias


__all__ = ["AttentionMechanism", "AttentionWrapperState", "attention_classes", "hardmax",
    "tile_batch"]


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
