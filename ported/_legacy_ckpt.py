"""Name-based (TF1 Saver) checkpoints for ported modules: the same keys the legacy
module's Saver writes, Keras Adam state mapped to TF1 AdamOptimizer slots."""

import numpy as np
import tensorflow as tf

from compat import checkpoint as ckpt_lib


def adam_slots(optimizer, named):
    """``{'<name>/Adam': m, '<name>/Adam_1': v}`` for ``named`` = [(TF1 name, var)] in
    the order the optimizer was built with."""
    slots = {}
    for (name, _), m, v in zip(named, optimizer._momentums, optimizer._velocities):
        slots[f"{name}/Adam"] = m
        slots[f"{name}/Adam_1"] = v
    return slots


def save(prefix, named, optimizer, global_step):
    """Writes every variable the legacy Saver saves (model variables, Adam slots, beta
    powers, global step) at `prefix`; returns it."""
    values = {name: var.numpy() for name, var in named}
    values.update({n: v.numpy() for n, v in adam_slots(optimizer, named).items()})
    t = int(optimizer.iterations.numpy())
    # TF1 keeps beta^(t+1) after t steps (initialized to beta, multiplied per step)
    values["beta1_power"] = np.float32(optimizer.beta_1) ** np.float32(t + 1)
    values["beta2_power"] = np.float32(optimizer.beta_2) ** np.float32(t + 1)
    values["global_step"] = global_step.numpy()
    return ckpt_lib.write_name_based(values, prefix)


def check(path, named, what):
    """Reads a legacy checkpoint and pairs each (TF1 name, variable) of `named` with its
    value; raises NotFoundError (every missing name) or InvalidArgumentError (shape)
    before anything is assigned. Returns (all checkpoint values, [(variable, value)])."""
    values = ckpt_lib.read_checkpoint(path)
    missing = sorted(name for name, _ in named if name not in values)
    if missing:
        raise tf.errors.NotFoundError(None, None, f"Checkpoint {path!r} has no variables "
                                                  f"named {missing}")
    pairs = []
    for name, var in named:
        value = np.asarray(values[name])
        if tuple(value.shape) != tuple(var.shape):
            raise tf.errors.InvalidArgumentError(
                None, None, f"Checkpoint {path!r} variable {name!r} has shape "
                            f"{list(value.shape)}, the ported {what}'s has "
                            f"{var.shape.as_list()}; nothing was restored")
        pairs.append((var, value.astype(var.dtype.as_numpy_dtype)))
    return values, pairs


def restore(path, named, optimizer, global_step, what):
    """Loads a legacy checkpoint into `named` (and the optimizer state when present);
    checks every key and shape first, so a failure assigns nothing."""
    values, pairs = check(path, named, what)
    slots = adam_slots(optimizer, named)
    if all(name in values for name in slots) and "global_step" in values:
        pairs += [(var, np.asarray(values[name], np.float32)) for name, var in slots.items()]
        optimizer.iterations.assign(int(values["global_step"]))
    if "global_step" in values:
        pairs.append((global_step, np.asarray(values["global_step"], np.int64)))
    for var, value in pairs:
        var.assign(value)
