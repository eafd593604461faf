"""``tf.contrib.seq2seq.sequence_loss`` after TF 1.15's documented behaviour."""


import tensorflow as _tf


__all__ = ["sequence_loss"]


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
