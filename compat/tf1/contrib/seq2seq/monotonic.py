"""Monotonic attention's probability functions: ``monotonic_attention``, ``safe_cumprod``."""

import functools

import numpy as np

import tensorflow as _tf


from compat.tf1.contrib.seq2seq.common import _static_or_dynamic, _v1


__all__ = ["monotonic_attention", "safe_cumprod"]


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
