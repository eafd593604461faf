"""``tf.contrib.rnn``'s fused LSTM cells: ``LSTMBlockCell`` (one step, a drop-in for
``LSTMCell`` with the same ``kernel`` / ``bias`` layout and names) and
``LSTMBlockFusedCell`` (a whole time-major sequence in one op).

Written after TF 1.15's documented behaviour on the kernels TF 2.21 still ships
(``LSTMBlockCell``, ``BlockLSTM``), so the numbers are TF1's: the cell computes
``[i, ci, f, o] = [x, h] W + b``, ``cs = sigmoid(f + forget_bias) * cs_prev +
sigmoid(i) * tanh(ci)``, ``h = sigmoid(o) * tanh(cs)`` (optionally with peepholes and a
cell clip). TF 2.21 registers no gradient for the ``LSTMBlockCell`` op; the shim adds
TF1's (through ``LSTMBlockCellGrad``), only where none is registered.
"""

import functools
import sys

import tensorflow as _tf
from tensorflow.python.framework import ops
from tensorflow.python.framework import tensor_shape
from tensorflow.python.ops import gen_rnn_ops

__all__ = ["block_cells", "stack_bidirectional_dynamic_rnn", "stack_bidirectional_rnn"]


def _lstm_block_cell_grad(op, *grads):
    """TF1's gradient of one LSTMBlockCell step (through the LSTMBlockCellGrad kernel)."""
    x, cs_prev, h_prev, w, wci, wcf, wco, b = op.inputs
    i, cs, f, o, ci, co, _ = op.outputs
    _, cs_grad, _, _, _, _, h_grad = grads
    batch_size = tensor_shape.dimension_value(x.shape[0])
    if batch_size is None:
        batch_size = -1
    input_size = tensor_shape.dimension_value(x.shape[1])
    if input_size is None:
        raise ValueError("input_size from `x` should not be None.")
    cell_size = tensor_shape.dimension_value(cs_prev.shape[1])
    if cell_size is None:
        raise ValueError("cell_size from `cs_prev` should not be None.")
    cs_prev_grad, dicfo, wci_grad, wcf_grad, wco_grad = gen_rnn_ops.lstm_block_cell_grad(
        x=x, cs_prev=cs_prev, h_prev=h_prev, w=w, wci=wci, wcf=wcf, wco=wco, b=b, i=i,
        cs=cs, f=f, o=o, ci=ci, co=co, cs_grad=cs_grad, h_grad=h_grad,
        use_peephole=op.get_attr("use_peephole"))
    xh_grad = _tf.matmul(dicfo, w, transpose_b=True)
    x_grad = _tf.slice(xh_grad, (0, 0), (batch_size, input_size))
    h_prev_grad = _tf.slice(xh_grad, (0, input_size), (batch_size, cell_size))
    w_grad = _tf.matmul(_tf.concat([x, h_prev], 1), dicfo, transpose_a=True)
    b_grad = _tf.raw_ops.BiasAddGrad(out_backprop=dicfo)
    return x_grad, cs_prev_grad, h_prev_grad, w_grad, wci_grad, wcf_grad, wco_grad, b_grad


def _register_gradient():
    try:
        ops.RegisterGradient("LSTMBlockCell")(_lstm_block_cell_grad)
    except KeyError:  # registered already (by TF itself, or before)
        pass


def _peepholes(layer, num_units, use_peephole, dtype):
    if use_peephole:
        return layer._w_i_diag, layer._w_f_diag, layer._w_o_diag
    zeros = _tf.zeros([num_units], dtype=dtype)
    return zeros, zeros, zeros


def _build_weights(cell, shape, axis, what):
    """Builds `cell`'s weights for inputs whose size is `shape[axis]` (`what` names the
    argument in the error TF1 raised when it is unknown)."""
    input_size = tensor_shape.dimension_value(tensor_shape.TensorShape(shape)[axis])
    if not input_size:
        raise ValueError(f"Expecting {what}[{axis}] to be set: {shape}")
    _add_weights(cell, input_size, cell._num_units, cell._use_peephole)
    cell.built = True


def _add_weights(layer, input_size, num_units, use_peephole):
    layer._kernel = layer.add_weight("kernel", [input_size + num_units, num_units * 4])
    layer._bias = layer.add_weight("bias", [num_units * 4],
                                   initializer=_tf.compat.v1.constant_initializer(0.0))
    if use_peephole:
        layer._w_i_diag = layer.add_weight("w_i_diag", [num_units])
        layer._w_f_diag = layer.add_weight("w_f_diag", [num_units])
        layer._w_o_diag = layer.add_weight("w_o_diag", [num_units])


@functools.lru_cache(maxsize=None)
def block_cells(legacy_cells, legacy_layer):
    """The two cell classes, on tf-keras's TF1 ``LayerRNNCell`` (from module
    `legacy_cells`) and TF1 ``tf.layers.Layer`` (`legacy_layer`)."""
    _register_gradient()
    LSTMStateTuple = legacy_cells.LSTMStateTuple
    base_cell = sys.modules[legacy_cells.LSTMCell.__module__].LayerRNNCell

    class LSTMBlockCell(base_cell):
        """TF1's ``tf.contrib.rnn.LSTMBlockCell``: an LSTM step in one fused kernel,
        with ``LSTMCell``'s variables (``kernel`` [input + units, 4 * units], ``bias``)
        under the default name ``lstm_cell``."""

        __compat_guarded_instances__ = True  # through compat.v1: built in TF1's graph

        def __init__(self, num_units, forget_bias=1.0, cell_clip=None, use_peephole=False,
                     dtype=None, reuse=None, name="lstm_cell"):
            super().__init__(_reuse=reuse, dtype=dtype, name=name)
            self._num_units = num_units
            self._forget_bias = forget_bias
            self._use_peephole = use_peephole
            self._cell_clip = cell_clip if cell_clip is not None else -1

        @property
        def state_size(self):
            return LSTMStateTuple(self._num_units, self._num_units)

        @property
        def output_size(self):
            return self._num_units

        def build(self, inputs_shape):
            _build_weights(self, inputs_shape, 1, "inputs_shape")

        def call(self, inputs, state):
            if len(state) != 2:
                raise ValueError("Expecting state to be a tuple with length 2.")
            wci, wcf, wco = _peepholes(self, self._num_units, self._use_peephole,
                                       self.dtype)
            cs_prev, h_prev = state
            _, cs, _, _, _, _, h = gen_rnn_ops.lstm_block_cell(
                x=inputs, cs_prev=cs_prev, h_prev=h_prev, w=self._kernel, wci=wci, wcf=wcf,
                wco=wco, b=self._bias, forget_bias=self._forget_bias,
                cell_clip=self._cell_clip, use_peephole=self._use_peephole)
            return h, LSTMStateTuple(cs, h)

    class LSTMBlockFusedCell(legacy_layer):
        """TF1's ``tf.contrib.rnn.LSTMBlockFusedCell``: a time-major sequence
        [time, batch, input] (or a list of [batch, input] steps) through one BlockLSTM
        op. Called as ``cell(inputs, initial_state=None, dtype=None,
        sequence_length=None)``; returns (outputs, LSTMStateTuple(c, h)), outputs past a
        sequence's length zero and the final state taken at its last step."""

        __compat_guarded_instances__ = True

        def __init__(self, num_units, forget_bias=1.0, cell_clip=None, use_peephole=False,
                     reuse=None, dtype=None, name="lstm_fused_cell"):
            super().__init__(_reuse=reuse, name=name, dtype=dtype)
            self._num_units = num_units
            self._forget_bias = forget_bias
            self._cell_clip = cell_clip if cell_clip is not None else -1
            self._use_peephole = use_peephole

        @property
        def num_units(self):
            return self._num_units

        def build(self, input_shape):
            _build_weights(self, input_shape, 2, "input_shape")

        def __call__(self, inputs, initial_state=None, dtype=None, sequence_length=None,
                     **kwargs):
            is_list = isinstance(inputs, list)
            if is_list:
                inputs = _tf.stack(inputs)
            return super().__call__(inputs, initial_state=initial_state, dtype=dtype,
                                    sequence_length=sequence_length, is_list=is_list,
                                    **kwargs)

        def call(self, inputs, initial_state=None, dtype=None, sequence_length=None,
                 is_list=False):
            shape = inputs.get_shape().with_rank(3)
            if not tensor_shape.dimension_value(shape[2]):
                raise ValueError(f"Expecting inputs_shape[2] to be set: {shape}")
            batch_size = tensor_shape.dimension_value(shape[1])
            if batch_size is None:
                batch_size = _tf.shape(inputs)[1]
            time_len = tensor_shape.dimension_value(shape[0])
            if time_len is None:
                time_len = _tf.shape(inputs)[0]
            if initial_state is None:
                if dtype is None:
                    raise ValueError("Either initial_state or dtype needs to be specified")
                zeros = _tf.zeros(_tf.stack([batch_size, self._num_units]), dtype=dtype)
                initial_state = zeros, zeros
            else:
                if len(initial_state) != 2:
                    raise ValueError(
                        "Expecting initial_state to be a tuple with length 2 or None")
                if dtype is None:
                    dtype = initial_state[0].dtype
            if sequence_length is not None:
                sequence_length = _tf.convert_to_tensor(sequence_length)
            initial_cs, initial_h = initial_state
            if sequence_length is None:
                max_len = _tf.cast(time_len, _tf.int64)
            else:
                max_len = _tf.cast(_tf.reduce_max(sequence_length), _tf.int64)
            wci, wcf, wco = _peepholes(self, self._num_units, self._use_peephole, dtype)
            _, cell_states, _, _, _, _, outputs = gen_rnn_ops.block_lstm(
                seq_len_max=max_len, x=inputs, cs_prev=initial_cs, h_prev=initial_h,
                w=self._kernel, wci=wci, wcf=wcf, wco=wco, b=self._bias,
                forget_bias=self._forget_bias, cell_clip=self._cell_clip,
                use_peephole=self._use_peephole)
            if sequence_length is not None:
                mask = _tf.transpose(_tf.sequence_mask(sequence_length, time_len, dtype=dtype),
                                     [1, 0])
                outputs *= _tf.tile(_tf.expand_dims(mask, [-1]), [1, 1, self._num_units])
                # the state at step length - 1 (-1: the initial state)
                all_cs = _tf.concat([_tf.expand_dims(initial_cs, [0]), cell_states], 0)
                all_h = _tf.concat([_tf.expand_dims(initial_h, [0]), outputs], 0)
                where = _tf.stack([sequence_length, _tf.range(batch_size)], axis=1)
                final_cs = _tf.gather_nd(all_cs, where)
                final_h = _tf.gather_nd(all_h, where)
            else:
                final_cs, final_h = cell_states[-1], outputs[-1]
            if is_list:
                outputs = _tf.unstack(outputs)
            return outputs, LSTMStateTuple(final_cs, final_h)

    return LSTMBlockCell, LSTMBlockFusedCell


def _check_stack(cells_fw, cells_bw, initial_states_fw, initial_states_bw):
    if not cells_fw:
        raise ValueError("Must specify at least one fw cell for BidirectionalRNN.")
    if not cells_bw:
        raise ValueError("Must specify at least one bw cell for BidirectionalRNN.")
    if not isinstance(cells_fw, list):
        raise ValueError("cells_fw must be a list of RNNCells (one per layer).")
    if not isinstance(cells_bw, list):
        raise ValueError("cells_bw must be a list of RNNCells (one per layer).")
    if len(cells_fw) != len(cells_bw):
        raise ValueError("Forward and Backward cells must have the same depth.")
    if (initial_states_fw is not None
            and (not isinstance(initial_states_fw, list)
                 or len(initial_states_fw) != len(cells_fw))):
        raise ValueError("initial_states_fw must be a list of state tensors (one per layer).")
    if (initial_states_bw is not None
            and (not isinstance(initial_states_bw, list)
                 or len(initial_states_bw) != len(cells_bw))):
        raise ValueError("initial_states_bw must be a list of state tensors (one per layer).")


def _stack(cells_fw, cells_bw, inputs, initial_states_fw, initial_states_bw, scope,
           layer):
    """TF 1.15's layer loop of both stacked bidirectional RNNs: `layer(cell_fw, cell_bw,
    inputs, initial_state_fw, initial_state_bw)` -> (outputs, state_fw, state_bw), run
    under ``cell_<i>`` inside `scope`."""
    _check_stack(cells_fw, cells_bw, initial_states_fw, initial_states_bw)
    v1 = _tf.compat.v1
    states_fw, states_bw = [], []
    prev_layer = inputs
    with v1.variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (cell_fw, cell_bw) in enumerate(zip(cells_fw, cells_bw)):
            initial_state_fw = initial_states_fw[i] if initial_states_fw else None
            initial_state_bw = initial_states_bw[i] if initial_states_bw else None
            with v1.variable_scope("cell_%d" % i) as cell_scope:
                prev_layer, state_fw, state_bw = layer(
                    cell_fw, cell_bw, prev_layer, initial_state_fw, initial_state_bw,
                    cell_scope)
            states_fw.append(state_fw)
            states_bw.append(state_bw)
    return prev_layer, tuple(states_fw), tuple(states_bw)


def stack_bidirectional_rnn(cells_fw, cells_bw, inputs, initial_states_fw=None,
                            initial_states_bw=None, dtype=None, sequence_length=None,
                            scope=None):
    """TF 1.15's ``tf.contrib.rnn.stack_bidirectional_rnn``: layers of
    ``static_bidirectional_rnn``, each under ``cell_<i>``, each layer's concatenated
    outputs the next one's inputs. Returns (outputs, states_fw, states_bw)."""
    def layer(cell_fw, cell_bw, inputs, state_fw, state_bw, cell_scope):
        return _tf.compat.v1.nn.static_bidirectional_rnn(
            cell_fw, cell_bw, inputs, initial_state_fw=state_fw, initial_state_bw=state_bw,
            sequence_length=sequence_length, dtype=dtype, scope=cell_scope)

    return _stack(cells_fw, cells_bw, inputs, initial_states_fw, initial_states_bw, scope,
                  layer)


def stack_bidirectional_dynamic_rnn(cells_fw, cells_bw, inputs, initial_states_fw=None,
                                    initial_states_bw=None, dtype=None, sequence_length=None,
                                    parallel_iterations=None, time_major=False, scope=None,
                                    swap_memory=False):
    """TF 1.15's ``tf.contrib.rnn.stack_bidirectional_dynamic_rnn``: layers of
    ``bidirectional_dynamic_rnn``, each under ``cell_<i>``, the forward and backward
    outputs concatenated on the last axis as the next layer's inputs. Returns
    (outputs, states_fw, states_bw)."""
    def layer(cell_fw, cell_bw, inputs, state_fw, state_bw, cell_scope):
        outputs, (state_fw, state_bw) = _tf.compat.v1.nn.bidirectional_dynamic_rnn(
            cell_fw, cell_bw, inputs, initial_state_fw=state_fw, initial_state_bw=state_bw,
            sequence_length=sequence_length, parallel_iterations=parallel_iterations,
            dtype=dtype, swap_memory=swap_memory, time_major=time_major)
        return _tf.concat(outputs, 2), state_fw, state_bw

    return _stack(cells_fw, cells_bw, inputs, initial_states_fw, initial_states_bw, scope,
                  layer)
