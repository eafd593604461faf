"""``tf.contrib.opt``: the TF1 optimizers recommender and NLP code used most, as
``tf.compat.v1.train.Optimizer`` subclasses (they run in TF1 graphs, on both backends).

* :class:`LazyAdamOptimizer`: Adam whose sparse updates (embedding lookups) touch only
  the gathered rows: their moments and values; other rows (and their moments) stay as
  they are. Dense gradients update as Adam does.
* :class:`AdamWOptimizer`, :class:`MomentumWOptimizer`,
  :func:`extend_with_decoupled_weight_decay`: decoupled weight decay (Loshchilov &
  Hutter): before the base update, each variable (or those in ``decay_var_list``) is
  shrunk by ``weight_decay * var`` (not scaled by the learning rate; sparse gradients
  decay only their rows).

Written after TF 1.15's documented behaviour: the same slots (``m``, ``v``,
``momentum``), the same default names and the same arithmetic, so checkpoints and
numbers carry over. Others (Shampoo, GGT, ElasticAverage, ModelAverage,
MovingAverageOptimizer, ScipyOptimizerInterface...) are not covered.
"""

import tensorflow as _tf
from tensorflow.python.ops import resource_variable_ops as _rvo

from compat.tf1 import guard as _guard

__all__ = ["LazyAdamOptimizer", "DecoupledWeightDecayExtension", "AdamWOptimizer",
           "MomentumWOptimizer", "extend_with_decoupled_weight_decay"]

_v1 = _tf.compat.v1


class LazyAdamOptimizer(_v1.train.AdamOptimizer):
    """Adam with lazy sparse updates: for an ``IndexedSlices`` gradient, only the rows
    it names get new first and second moments and a new value, using the global step's
    bias correction (``lr * sqrt(1 - beta2^t) / (1 - beta1^t)``). Faster than Adam for
    large embedding tables, and different from it: a row's moments do not decay in
    steps that do not touch it."""

    __compat_guarded_instances__ = True  # through compat.v1, methods run in graph mode

    def _lazy_coefficients(self, dtype):
        beta1_power, beta2_power = self._get_beta_accumulators()
        beta1_power = _tf.cast(beta1_power, dtype)
        beta2_power = _tf.cast(beta2_power, dtype)
        lr_t = _tf.cast(self._lr_t, dtype)
        beta1_t = _tf.cast(self._beta1_t, dtype)
        beta2_t = _tf.cast(self._beta2_t, dtype)
        epsilon_t = _tf.cast(self._epsilon_t, dtype)
        lr = lr_t * _tf.sqrt(1 - beta2_power) / (1 - beta1_power)
        return lr, beta1_t, beta2_t, epsilon_t

    def _apply_sparse(self, grad, var):
        """Reference (non-resource) variables."""
        lr, beta1_t, beta2_t, epsilon_t = self._lazy_coefficients(var.dtype.base_dtype)
        indices = grad.indices
        m = self.get_slot(var, "m")
        m_t = _v1.scatter_update(
            m, indices, beta1_t * _tf.gather(m, indices) + (1 - beta1_t) * grad.values,
            use_locking=self._use_locking)
        v = self.get_slot(var, "v")
        v_t = _v1.scatter_update(
            v, indices,
            beta2_t * _tf.gather(v, indices) + (1 - beta2_t) * _tf.square(grad.values),
            use_locking=self._use_locking)
        m_t_slice = _tf.gather(m_t, indices)
        v_t_slice = _tf.gather(v_t, indices)
        var_update = _v1.scatter_sub(
            var, indices, lr * m_t_slice / (_tf.sqrt(v_t_slice) + epsilon_t),
            use_locking=self._use_locking)
        return _tf.group(var_update, m_t, v_t)

    def _resource_apply_sparse(self, grad, var, indices):
        lr, beta1_t, beta2_t, epsilon_t = self._lazy_coefficients(var.dtype.base_dtype)
        m = self.get_slot(var, "m")
        m_t_slice = beta1_t * _tf.gather(m, indices) + (1 - beta1_t) * grad
        m_update = _rvo.resource_scatter_update(m.handle, indices, m_t_slice)
        v = self.get_slot(var, "v")
        v_t_slice = beta2_t * _tf.gather(v, indices) + (1 - beta2_t) * _tf.square(grad)
        v_update = _rvo.resource_scatter_update(v.handle, indices, v_t_slice)
        var_slice = lr * m_t_slice / (_tf.sqrt(v_t_slice) + epsilon_t)
        var_update = _rvo.resource_scatter_sub(var.handle, indices, var_slice)
        return _tf.group(var_update, m_update, v_update)


class DecoupledWeightDecayExtension(object):
    """Mixin for a ``tf.compat.v1.train.Optimizer`` subclass (listed before it):
    ``weight_decay * var`` is subtracted from each variable before the base update.
    ``apply_gradients`` takes ``decay_var_list`` (default: every variable the call
    updates). `weight_decay` may be a float, a tensor or a callable.

    As in TF 1.15, ``minimize(decay_var_list=...)`` decays every variable: TF 1.15's
    ``minimize`` calls ``apply_gradients`` without the list, which resets it. Kept so
    that TF1 programs train to the same numbers; pass the list to ``apply_gradients``
    to decay only some variables."""

    __compat_guarded_instances__ = True

    def __init__(self, weight_decay, *args, **kwargs):
        self._decay_var_list = None
        self._weight_decay = weight_decay
        self._weight_decay_tensor = None
        super(DecoupledWeightDecayExtension, self).__init__(*args, **kwargs)

    def _set_decay_var_list(self, decay_var_list):
        if decay_var_list:
            self._decay_var_list = {_guard.unwrap(v).ref() for v in decay_var_list}
        else:
            self._decay_var_list = None

    def minimize(self, loss, global_step=None, var_list=None,
                 gate_gradients=_v1.train.Optimizer.GATE_OP, aggregation_method=None,
                 colocate_gradients_with_ops=False, name=None, grad_loss=None,
                 decay_var_list=None):
        self._set_decay_var_list(decay_var_list)
        return super(DecoupledWeightDecayExtension, self).minimize(
            loss, global_step=global_step, var_list=var_list,
            gate_gradients=gate_gradients, aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops, name=name,
            grad_loss=grad_loss)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None,
                        decay_var_list=None):
        self._set_decay_var_list(decay_var_list)
        return super(DecoupledWeightDecayExtension, self).apply_gradients(
            grads_and_vars, global_step=global_step, name=name)

    def _prepare(self):
        weight_decay = self._weight_decay
        if callable(weight_decay):
            weight_decay = weight_decay()
        self._weight_decay_tensor = _tf.convert_to_tensor(weight_decay, name="weight_decay")
        super(DecoupledWeightDecayExtension, self)._prepare()

    def _decays(self, var):
        return self._decay_var_list is None or var.ref() in self._decay_var_list

    def _decay(self, var):
        return _tf.cast(self._weight_decay_tensor, var.dtype.base_dtype)

    def _decay_weights_op(self, var):
        if self._decays(var):
            return var.assign_sub(self._decay(var) * var, self._use_locking)
        return _tf.no_op()

    def _decay_weights_sparse_op(self, var, indices, scatter_add):
        if self._decays(var):
            return scatter_add(var, indices, -self._decay(var) * _tf.gather(var, indices),
                               self._use_locking)
        return _tf.no_op()

    def _apply_dense(self, grad, var):
        with _tf.control_dependencies([self._decay_weights_op(var)]):
            return super(DecoupledWeightDecayExtension, self)._apply_dense(grad, var)

    def _resource_apply_dense(self, grad, var):
        with _tf.control_dependencies([self._decay_weights_op(var)]):
            return super(DecoupledWeightDecayExtension, self)._resource_apply_dense(grad, var)

    def _apply_sparse(self, grad, var):
        decay = self._decay_weights_sparse_op(var, grad.indices, _v1.scatter_add)
        with _tf.control_dependencies([decay]):
            return super(DecoupledWeightDecayExtension, self)._apply_sparse(grad, var)

    def _resource_scatter_add(self, x, i, v, _=None):
        with _tf.control_dependencies([_rvo.resource_scatter_add(x.handle, i, v)]):
            return x.value()

    def _resource_apply_sparse(self, grad, var, indices):
        decay = self._decay_weights_sparse_op(var, indices, self._resource_scatter_add)
        with _tf.control_dependencies([decay]):
            return super(DecoupledWeightDecayExtension, self)._resource_apply_sparse(
                grad, var, indices)


def extend_with_decoupled_weight_decay(base_optimizer):
    """A subclass of `base_optimizer` (a ``tf.compat.v1.train.Optimizer`` class) with
    decoupled weight decay: its constructor takes ``weight_decay`` first, then the base
    optimizer's arguments."""
    base_optimizer = _guard.unwrap(base_optimizer)

    class OptimizerWithDecoupledWeightDecay(DecoupledWeightDecayExtension, base_optimizer):
        __doc__ = f"{base_optimizer.__name__} with decoupled weight decay."

        def __init__(self, weight_decay, *args, **kwargs):
            super(OptimizerWithDecoupledWeightDecay, self).__init__(
                weight_decay, *args, **kwargs)

    return OptimizerWithDecoupledWeightDecay


class AdamWOptimizer(DecoupledWeightDecayExtension, _v1.train.AdamOptimizer):
    """Adam with decoupled weight decay (AdamW)."""

    def __init__(self, weight_decay, learning_rate=0.001, beta1=0.9, beta2=0.999,
                 epsilon=1e-8, use_locking=False, name="AdamW"):
        super(AdamWOptimizer, self).__init__(
            weight_decay, learning_rate=learning_rate, beta1=beta1, beta2=beta2,
            epsilon=epsilon, use_locking=use_locking, name=name)


class MomentumWOptimizer(DecoupledWeightDecayExtension, _v1.train.MomentumOptimizer):
    """Momentum with decoupled weight decay."""

    def __init__(self, weight_decay, learning_rate, momentum, use_locking=False,
                 name="MomentumW", use_nesterov=False):
        super(MomentumWOptimizer, self).__init__(
            weight_decay, learning_rate=learning_rate, momentum=momentum,
            use_locking=use_locking, name=name, use_nesterov=use_nesterov)
