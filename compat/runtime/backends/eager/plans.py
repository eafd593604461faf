"""The cached per-structure fast path of ``run``: fetch/feed plans."""

import numpy as np
from tensorflow.python.framework import ops
from tensorflow.python.framework import tensor as tensor_lib
from tensorflow.python.ops import variables


_MAX_PLANS = 512  # cached run structures per session (the fast path)


def _is_element(x):
    """A fetch the plan path takes: a tensor, an operation or a variable (fetched as
    its graph element: the value, or for an assign's result the value after it)."""
    return isinstance(x, (tensor_lib.Tensor, ops.Operation, variables.Variable))


def _graph_element(x):
    """The tensor or operation a plain fetch stands for (None for an eager variable)."""
    if isinstance(x, (tensor_lib.Tensor, ops.Operation)):
        return x
    element = x._as_graph_element()  # pylint: disable=protected-access
    return element if isinstance(element, (tensor_lib.Tensor, ops.Operation)) else None


def _plan_key(fetches, feed_dict):
    """A hashable key for the run's structure when it is a plain one (graph elements in
    a list, tuple, dict or alone; tensor feed keys), else None (slow path)."""
    kind = type(fetches)
    if kind in (list, tuple):
        if not all(_is_element(f) for f in fetches):
            return None
        fetch_key = (kind, tuple(map(id, fetches)))
    elif kind is dict:
        if not all(_is_element(f) for f in fetches.values()):
            return None
        fetch_key = (dict, tuple((k, id(v)) for k, v in fetches.items()))
    elif _is_element(fetches):
        fetch_key = id(fetches)
    else:
        return None
    if not feed_dict:
        return fetch_key, ()
    if type(feed_dict) is not dict or not all(
            isinstance(k, tensor_lib.Tensor) for k in feed_dict):
        return None
    return fetch_key, tuple(map(id, feed_dict))


class _Plan:
    """A compiled run for one plain fetch/feed structure: skips fetch-handler building,
    feed expansion and sorting on later runs with the same structure."""

    __slots__ = ("sig", "order", "dtypes", "shapes", "build", "keep")

    @classmethod
    def make(cls, sig, fetches, feed_dict, fed_refs, fetch_tensors, feeds):
        fetched_names = [t.name for t in fetch_tensors]
        elements = {id(f): _graph_element(f) for f in _leaves(fetches)}
        if any(e is None for e in elements.values()):
            return None
        if any(e.ref() in feeds for e in elements.values() if isinstance(e, tensor_lib.Tensor)):
            return None  # a fetched tensor is also fed: the general path handles it
        plan = cls()
        plan.sig = sig
        # The plan key is made of id()s: holding the keyed objects keeps those ids from
        # being reused by other objects while the plan exists (fetches may be temporary
        # wrappers, e.g. the ShouldUseWrapper of tf.is_variable_initialized).
        plan.keep = (tuple(_leaves(fetches)), tuple(feed_dict or ()))
        keys = list(feed_dict or ())
        position = {r.deref().name: i for i, r in enumerate(fed_refs)}
        if len(keys) != len(position) or any(k.name not in position for k in keys):
            return None
        plan.order = [0] * len(keys)
        for j, key in enumerate(keys):
            plan.order[position[key.name]] = j
        plan.dtypes = [np.dtype(r.deref().dtype.as_numpy_dtype) for r in fed_refs]
        plan.shapes = [r.deref().shape.as_list() if r.deref().shape.rank is not None else None
                       for r in fed_refs]
        index = {name: i for i, name in enumerate(fetched_names)}
        kind = type(fetches)

        def pick(f):
            element = elements[id(f)]
            return None if isinstance(element, ops.Operation) else index[element.name]

        if kind in (list, tuple):
            picks = [pick(f) for f in fetches]
            plan.build = (lambda v, p=picks, k=kind: k(None if i is None else v[i] for i in p))
        elif kind is dict:
            picks = [(k, pick(f)) for k, f in fetches.items()]
            plan.build = lambda v, p=picks: {k: (None if i is None else v[i]) for k, i in p}
        else:
            i = pick(fetches)
            plan.build = (lambda v: None) if i is None else (lambda v, i=i: v[i])
        return plan

    def feed_values(self, feed_dict):
        """Feed values in signature order, or None when one needs the full checks
        (not an ndarray of the placeholder's dtype and a compatible shape)."""
        if not feed_dict:
            return []
        given = list(feed_dict.values())
        out = []
        for slot, j in enumerate(self.order):
            value = given[j]
            if type(value) is not np.ndarray or value.dtype != self.dtypes[slot]:
                return None
            shape = self.shapes[slot]
            if shape is not None:
                if value.ndim != len(shape) or any(
                        d is not None and d != n for d, n in zip(shape, value.shape)):
                    return None
            out.append(value)
        return out


def _leaves(fetches):
    if isinstance(fetches, dict):
        return list(fetches.values())
    if isinstance(fetches, (list, tuple)):
        return list(fetches)
    return [fetches]
