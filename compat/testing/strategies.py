"""Hypothesis strategies for parity testing.

* :func:`feeds`: feed dicts derived from a graph's placeholders: dtype and
  static shape, one shared batch size for every placeholder whose first
  dimension is unknown (0 and 1 included), and integer ids kept inside the
  table they index (found by following the placeholder into
  ``gather`` / ``embedding_lookup`` ops).
* :func:`graph_programs`: random small TF1 graphs from a menu of ops (math,
  reductions, matmul, gather / embedding_lookup, sparse ops, ``tf.cond``,
  ``tf.while_loop``, variables with assign ops, optimizers). A drawn
  :class:`GraphProgram` is pure data; ``program.build()`` builds it into the
  current default graph and returns a :class:`compat.testing.Spec`, and
  ``program.feeds()`` is the strategy for its feeds.

Typical use::

    @given(strategies.graph_programs(), st.data())
    def test_shim(program, data):
        feeds = data.draw(program.feeds(steps=2))
        assert_backends_agree(program.build, feeds, steps=2)
"""

import dataclasses

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tensorflow.python.framework import dtypes
from tensorflow.python.framework import ops

__all__ = ["GraphProgram", "feeds", "graph_programs", "values_for"]

_GATHER_OPS = frozenset({"GatherV2", "Gather", "ResourceGather"})
_PASS_THROUGH = frozenset({"Identity", "Reshape", "Cast", "ExpandDims", "Squeeze",
                           "StridedSlice", "Unique"})


def _index_bound(tensor, _depth=0):
    """Exclusive upper bound for integer ids flowing from `tensor` into a gather."""
    if _depth > 6:
        return None
    bounds = []
    for consumer in tensor.consumers():
        if consumer.type in _GATHER_OPS and len(consumer.inputs) > 1 \
                and consumer.inputs[1] is tensor:
            params = consumer.inputs[0]
            if consumer.type == "ResourceGather":
                shape = _resource_shape(params)
            else:
                shape = params.shape
            if shape is not None and shape.rank and shape[0] is not None:
                bounds.append(int(shape[0]))
        elif consumer.type in _PASS_THROUGH:
            for out in consumer.outputs:
                if out.dtype.is_integer:
                    b = _index_bound(out, _depth + 1)
                    if b is not None:
                        bounds.append(b)
    return min(bounds) if bounds else None


def _resource_shape(handle):
    op = handle.op
    while op.type == "Identity" and op.inputs:
        op = op.inputs[0].op
    if op.type == "VarHandleOp":
        from tensorflow import TensorShape
        return TensorShape(op.get_attr("shape"))
    return None


def values_for(tensor, batch, *, id_range=None, max_dim=4, float_bound=10.0):
    """Strategy for one value fed to placeholder `tensor` with batch size `batch`."""
    dtype = tensor.dtype.base_dtype
    shape = tensor.shape
    if shape.rank is None:
        dims = st.lists(st.integers(0, max_dim), min_size=0, max_size=3).map(tuple)
    else:
        parts = []
        for i, d in enumerate(shape.as_list()):
            if d is not None:
                parts.append(st.just(d))
            elif i == 0:
                parts.append(st.just(batch))
            else:
                parts.append(st.integers(1, max_dim))
        dims = st.tuples(*parts)
    np_dtype = np.dtype(dtype.as_numpy_dtype) if dtype != dtypes.string else None
    if dtype.is_floating:
        width = min(np_dtype.itemsize * 8, 64)
        elements = st.floats(-float_bound, float_bound, width=width, allow_nan=False,
                             allow_subnormal=False)
    elif dtype.is_integer:
        bound = id_range if id_range is not None else _index_bound(tensor)
        if isinstance(bound, tuple):
            lo, hi = bound
        elif bound is not None:
            lo, hi = 0, bound - 1
        else:
            info = np.iinfo(np_dtype)
            lo, hi = max(info.min, -10), min(info.max, 10)
        elements = st.integers(lo, hi)
    elif dtype == dtypes.bool:
        elements = st.booleans()
    elif dtype == dtypes.string:
        return dims.flatmap(lambda s: st.lists(
            st.binary(max_size=8), min_size=int(np.prod(s)), max_size=int(np.prod(s))).map(
            lambda items, s=s: np.array(items, dtype=object).reshape(s)))
    else:
        raise TypeError(f"no value strategy for placeholder {tensor.name} of dtype {dtype.name}")
    return dims.flatmap(lambda s: hnp.arrays(np_dtype, s, elements=elements))


def _placeholders(graph_or_tensors):
    if isinstance(graph_or_tensors, ops.Graph):
        return [op.outputs[0] for op in graph_or_tensors.get_operations()
                if op.type == "Placeholder"]
    return list(graph_or_tensors)


def feeds(graph_or_placeholders, *, batch_sizes=None, id_ranges=None, float_bound=10.0,
          max_dim=4):
    """Strategy for a feed dict ``{placeholder: value}``.

    Args:
      graph_or_placeholders: a ``tf.Graph`` (all its ``Placeholder`` ops) or a
        list of placeholder tensors.
      batch_sizes: strategy for the shared leading dimension (default 0..8).
      id_ranges: ``{placeholder or name: (lo, hi) or n}`` (inclusive lo/hi, or
        ``0..n-1``) for integer placeholders; default: the size of the table
        the ids index, found in the graph.
      float_bound: floats are drawn from ``[-float_bound, float_bound]``.
    """
    tensors = _placeholders(graph_or_placeholders)
    ranges = {}
    for key, value in (id_ranges or {}).items():
        name = key if isinstance(key, str) else key.name
        ranges[name if ":" in name else name + ":0"] = value
    batch_sizes = batch_sizes if batch_sizes is not None else st.integers(0, 8)

    @st.composite
    def draw(data):
        batch = data(batch_sizes)
        out = {}
        for t in tensors:
            out[t] = data(values_for(t, batch, id_range=ranges.get(t.name), max_dim=max_dim,
                                     float_bound=float_bound))
        return out

    return draw()


# --- random graphs --------------------------------------------------------------
_UNARY = ("tanh", "sigmoid", "square", "relu", "abs", "negative", "softplus", "sin")
_BINARY = ("add", "subtract", "multiply", "maximum", "minimum", "squared_difference")
_REDUCE = ("reduce_sum", "reduce_mean", "reduce_max", "reduce_min")
_OPTIMIZERS = ("GradientDescentOptimizer", "MomentumOptimizer", "AdagradOptimizer",
               "AdamOptimizer", "RMSPropOptimizer", "FtrlOptimizer", "AdadeltaOptimizer",
               "ProximalAdagradOptimizer")


@dataclasses.dataclass(frozen=True)
class GraphProgram:
    """A random TF1 graph, as data. ``width`` is the feature dimension D;
    ``vocab`` the embedding table size; ``nodes`` the op list (each node reads
    earlier nodes by index; nodes 0..2 are ``x``, ``embedding_lookup(ids)`` and
    ``x @ W``)."""

    width: int
    vocab: int
    nodes: tuple
    optimizer: str
    learning_rate: float

    def build(self):
        """Builds the program into the default graph (through ``compat.v1``)."""
        import compat.v1 as tf
        from compat.testing import Spec

        d = self.width
        x = tf.placeholder(tf.float32, [None, d], name="x")
        ids = tf.placeholder(tf.int32, [None], name="ids")
        flag = tf.placeholder(tf.bool, [], name="flag")
        init = tf.random_uniform_initializer(-0.5, 0.5, seed=7)
        w = tf.get_variable("w", [d, d], initializer=init)
        emb = tf.get_variable("emb", [self.vocab, d], initializer=init)
        counter = tf.get_variable("counter", [], initializer=tf.zeros_initializer(),
                                  trainable=False)
        pool = [x, tf.nn.embedding_lookup(emb, ids), tf.matmul(x, w)]
        shapes = [d, d, d]  # last dimension of each pool entry (D or 1)
        assigns = []
        for i, node in enumerate(self.nodes):
            kind, args = node[0], node[1:]
            name = f"n{i}"
            operands = [pool[a % len(pool)] for a in args[:2]]
            a_dim = shapes[args[0] % len(pool)]
            if kind in _UNARY:
                out, dim = getattr(tf.nn if kind in ("relu", "softplus") else tf.math, kind)(
                    operands[0], name=name), a_dim
            elif kind in _BINARY:
                out = getattr(tf.math, kind)(operands[0], operands[1], name=name)
                dim = max(a_dim, shapes[args[1] % len(pool)])
            elif kind in _REDUCE:
                out, dim = getattr(tf, kind)(operands[0], axis=1, keepdims=True,
                                             name=name), 1
            elif kind == "matmul":
                src = operands[0] if a_dim == d else operands[0] * tf.ones([1, d])
                out, dim = tf.matmul(src, w, name=name), d
            elif kind == "gather":
                # ids from the values: a data-dependent lookup into the table
                sel = tf.math.floormod(tf.cast(tf.abs(operands[0][:, 0]) * 7, tf.int32),
                                       self.vocab)
                out, dim = tf.gather(emb, sel, name=name), d
            elif kind == "sparse_matmul":
                src = operands[0] if a_dim == d else operands[0] * tf.ones([1, d])
                sp = tf.sparse.from_dense(tf.nn.relu(src))
                out, dim = tf.sparse.sparse_dense_matmul(sp, w, name=name), d
            elif kind == "sparse_reduce":
                sp = tf.sparse.from_dense(tf.nn.relu(operands[0]))
                out, dim = tf.identity(tf.sparse.reduce_sum(sp, axis=1, keepdims=True),
                                       name=name), 1
            elif kind == "cond":
                a, b = operands
                pred = flag if args[1] % 2 == 0 else tf.reduce_sum(b) > 0.0
                out = tf.cond(pred, lambda a=a: tf.tanh(a) * 2.0, lambda a=a: a - 1.0,
                              name=name)
                dim = a_dim
            elif kind == "while":
                n = args[2]
                _, out = tf.while_loop(lambda j, v: j < n,
                                       lambda j, v: (j + 1, v * 0.5 + 1.0),
                                       [tf.constant(0), operands[0]], name=name)
                dim = a_dim
            elif kind == "assign":
                assigns.append(tf.assign_add(counter, tf.reduce_sum(operands[0]) * 1e-3,
                                             name=name))
                continue
            else:  # pragma: no cover - menu and builder out of sync
                raise ValueError(f"unknown node kind {kind!r}")
            pool.append(out)
            shapes.append(dim)
        outputs = {f"p{i}": t for i, t in enumerate(pool[1:], start=1)}
        loss = tf.add_n([tf.reduce_mean(tf.square(t)) for t in pool[1:]], name="loss")
        outputs["loss"] = loss
        optimizer = _make_optimizer(tf, self.optimizer, self.learning_rate)
        step = optimizer.minimize(loss)
        train_op = tf.group([step] + assigns, name="train")
        return Spec(outputs=outputs, loss=loss, train_op=train_op)

    def feeds(self, steps=0, max_batch=5):
        """Strategy: ``steps + 1`` feed dicts (by placeholder name) for this program."""
        one = st.integers(0, max_batch).flatmap(lambda b: st.fixed_dictionaries({
            "x": hnp.arrays(np.float32, (b, self.width),
                            elements=st.floats(-3, 3, width=32, allow_subnormal=False)),
            "ids": hnp.arrays(np.int32, (b,), elements=st.integers(0, self.vocab - 1)),
            "flag": st.booleans(),
        }))
        return st.lists(one, min_size=steps + 1, max_size=steps + 1)


def _make_optimizer(tf, name, lr):
    cls = getattr(tf.train, name)
    if name == "MomentumOptimizer":
        return cls(lr, momentum=0.9)
    return cls(lr)


def _node(n_before):
    ref = st.integers(0, 10_000)
    return st.one_of(
        st.tuples(st.sampled_from(_UNARY), ref),
        st.tuples(st.sampled_from(_BINARY), ref, ref),
        st.tuples(st.sampled_from(_REDUCE), ref),
        st.tuples(st.just("matmul"), ref),
        st.tuples(st.just("gather"), ref),
        st.tuples(st.just("sparse_matmul"), ref),
        st.tuples(st.just("sparse_reduce"), ref),
        st.tuples(st.just("cond"), ref, ref),
        st.tuples(st.just("while"), ref, ref, st.integers(0, 3)),
        st.tuples(st.just("assign"), ref),
    )


def graph_programs(max_nodes=6, optimizers=_OPTIMIZERS):
    """Strategy for :class:`GraphProgram` (random small TF1 graphs)."""
    return st.builds(
        GraphProgram,
        width=st.integers(1, 4),
        vocab=st.integers(1, 6),
        nodes=st.lists(_node(0), min_size=1, max_size=max_nodes).map(tuple),
        optimizer=st.sampled_from(tuple(optimizers)),
        learning_rate=st.sampled_from((0.01, 0.1)),
    )
