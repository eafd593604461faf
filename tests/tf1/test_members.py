"""TF 1.15's documented members of tf.Tensor, tf.Variable, tf.Operation and tf.Graph
(``compat/tf1/members.py``) on what the shim builds: each member runs through a recipe
on the shim, at module level and inside ``with graph.as_default()``, on both backends,
and on TensorFlow's own TF1 graph and v1 Session; the results (values through the
session, names, shapes, dtypes, the error class where TF1 raises) must be the same.
Variables are both of TF1's kinds: ref variables (TF 1.x's default) and resource
variables (the shim's default)."""

import collections
import enum

import numpy as np
import pytest
import tensorflow as tf2
from google.protobuf import message

import compat
import compat.v1 as tf
from compat.tf1.members import MEMBERS, MISSING

_IS = collections.namedtuple("_IS", "name")  # a recipe's "is this that object" answer


def _with(cm_of, body):
    def recipe(o):
        with cm_of(o):
            return body(o)
    return recipe


def _then(*steps):
    def recipe(o):
        out = None
        for step in steps:
            out = step(o)
        return out
    return recipe


def _slices(o, values, indices):
    return o.tf.IndexedSlices(o.tf.constant(values), o.tf.constant(indices))


def _finalized(o):
    g = o.tf.Graph()
    g.finalize()
    with g.as_default():
        try:
            o.tf.constant(1.)
        except RuntimeError as e:
            return g.finalized, type(e).__name__
    return g.finalized, None


def _prevent(kind):
    def recipe(o):
        t = o.tf.identity(o.c, name=f"prevented_{kind}")
        getattr(o.g, f"prevent_{kind}")(t)
        return getattr(o.g, "is_feedable" if kind == "feeding" else "is_fetchable")(t)
    return recipe


def _in_place(op):
    def recipe(o):
        t = o.v
        if op == "+":
            t += o.c
        elif op == "-":
            t -= o.c
        elif op == "*":
            t *= o.c
        elif op == "/":
            t /= o.c
        else:
            t **= 2.
        return t, o.v
    return recipe


def _binary(name, a="c", b="x", reflected=None):
    """``getattr(o.<a>, name)(o.<b>)``; reflected operators take a plain value."""
    def recipe(o):
        left = getattr(o, a)
        right = getattr(o, b) if reflected is None else reflected
        return getattr(left, name)(right)
    return recipe


_LOGICAL = {"__and__", "__or__", "__xor__", "__rand__", "__ror__", "__rxor__", "__invert__"}
_REFLECTED = {"__radd__", "__rdiv__", "__rfloordiv__", "__rmatmul__", "__rmod__",
              "__rmul__", "__rpow__", "__rsub__", "__rtruediv__"}


def _operator(subject, name):
    if name in ("__abs__", "__neg__"):
        return lambda o: getattr(getattr(o, subject), name)()
    if name == "__invert__":
        return lambda o: ~(o.b if subject == "c" else o.bv)
    if name in _LOGICAL:
        left, right = ("b", "b2") if subject == "c" else ("bv", "b2")
        return _binary(name, left, right,
                       reflected=[True, True] if name.startswith("__r") else None)
    if name == "__getitem__":
        return lambda o: getattr(o, subject)[1, ::-1]
    if name == "__rmatmul__":
        return _binary(name, subject, reflected=np.eye(2, dtype=np.float32) * 3)
    if name in _REFLECTED:
        return _binary(name, subject, reflected=2.)
    if name in ("__eq__", "__ne__"):
        return lambda o: (getattr(getattr(o, subject), name)(getattr(o, subject)),
                          getattr(getattr(o, subject), name)(o.x))
    if name == "__hash__":
        return lambda o: hash(getattr(o, subject)) == hash(getattr(o, subject))
    if name == "__bool__":
        return lambda o: bool(getattr(o, subject))
    if name == "__iter__":
        return lambda o: list(iter(getattr(o, subject)))
    if name == "__matmul__":
        return _binary(name, subject, "x")
    return _binary(name, subject, "x")


RECIPES = {
    # --- tf.Tensor ------------------------------------------------------------------
    ("Tensor", "device"): lambda o: o.c.device,
    ("Tensor", "dtype"): lambda o: o.c.dtype,
    ("Tensor", "graph"): lambda o: _IS(o.c.graph is o.g),
    ("Tensor", "name"): lambda o: o.c.name,
    ("Tensor", "op"): lambda o: o.c.op,
    ("Tensor", "shape"): lambda o: (o.c.shape, o.x.shape, o.p.shape),
    ("Tensor", "value_index"): lambda o: o.c.value_index,
    ("Tensor", "consumers"): lambda o: (o.c * 2., [op.name for op in o.c.consumers()])[1],
    ("Tensor", "eval"): lambda o: o.x.eval(feed_dict=o.feed) + o.c.eval(),
    ("Tensor", "experimental_ref"): lambda o: _IS(o.c.experimental_ref().deref() is o.c),
    ("Tensor", "get_shape"): lambda o: o.x.get_shape(),
    ("Tensor", "set_shape"): _then(lambda o: o.p.set_shape([None, 2]), lambda o: o.p.shape),
    # --- tf.Variable ----------------------------------------------------------------
    ("Variable", "aggregation"): lambda o: o.v.aggregation,
    ("Variable", "constraint"): lambda o: o.v.constraint,
    ("Variable", "device"): lambda o: o.v.device,
    ("Variable", "dtype"): lambda o: o.v.dtype,
    ("Variable", "graph"): lambda o: _IS(o.v.graph is o.g),
    ("Variable", "initial_value"): lambda o: o.v.initial_value,
    ("Variable", "initializer"): lambda o: o.v.initializer,
    ("Variable", "name"): lambda o: o.v.name,
    ("Variable", "op"): lambda o: o.v.op,
    ("Variable", "shape"): lambda o: o.v.shape,
    ("Variable", "synchronization"): lambda o: o.v.synchronization,
    ("Variable", "trainable"): lambda o: o.v.trainable,
    ("Variable", "assign"): lambda o: o.v.assign(o.c * 3.),
    ("Variable", "assign_add"): lambda o: o.v.assign_add(o.c),
    ("Variable", "assign_sub"): lambda o: o.v.assign_sub(o.c),
    ("Variable", "batch_scatter_update"): lambda o: o.v.batch_scatter_update(
        _slices(o, [[9.], [8.]], [[1], [0]])),
    ("Variable", "count_up_to"): lambda o: o.n.count_up_to(3),
    ("Variable", "eval"): lambda o: o.v.eval(),
    ("Variable", "experimental_ref"): lambda o: _IS(o.v.experimental_ref().deref() is o.v),
    ("Variable", "from_proto"): lambda o: o.tf.Variable.from_proto(o.v.to_proto()),
    ("Variable", "gather_nd"): lambda o: o.v.gather_nd([[0, 1], [1, 0]]),
    ("Variable", "get_shape"): lambda o: o.v.get_shape(),
    ("Variable", "initialized_value"): lambda o: o.v.initialized_value() * 2.,
    ("Variable", "load"): _then(lambda o: o.v.load([[0., 1.], [2., 3.]], o.sess),
                                lambda o: o.v),
    ("Variable", "read_value"): lambda o: o.v.read_value(),
    ("Variable", "scatter_add"): lambda o: o.v.scatter_add(_slices(o, [[1., 1.]], [1])),
    ("Variable", "scatter_div"): lambda o: o.v.scatter_div(_slices(o, [[2., 4.]], [1])),
    ("Variable", "scatter_max"): lambda o: o.v.scatter_max(_slices(o, [[5., 0.]], [0])),
    ("Variable", "scatter_min"): lambda o: o.v.scatter_min(_slices(o, [[5., 0.]], [0])),
    ("Variable", "scatter_mul"): lambda o: o.v.scatter_mul(_slices(o, [[3., 3.]], [0])),
    ("Variable", "scatter_nd_add"): lambda o: o.v.scatter_nd_add([[0, 1]], [5.]),
    ("Variable", "scatter_nd_sub"): lambda o: o.v.scatter_nd_sub([[1, 1]], [5.]),
    ("Variable", "scatter_nd_update"): lambda o: o.v.scatter_nd_update([[1, 0]], [7.]),
    ("Variable", "scatter_sub"): lambda o: o.v.scatter_sub(_slices(o, [[1., 1.]], [0])),
    ("Variable", "scatter_update"): lambda o: o.v.scatter_update(_slices(o, [[6., 6.]], [1])),
    ("Variable", "set_shape"): _then(lambda o: o.v.set_shape([2, 2]), lambda o: o.v.shape),
    ("Variable", "sparse_read"): lambda o: o.v.sparse_read([1, 0]),
    ("Variable", "to_proto"): lambda o: o.v.to_proto(),
    ("Variable", "value"): lambda o: o.v.value(),
    ("Variable", "__iadd__"): _in_place("+"),
    ("Variable", "__isub__"): _in_place("-"),
    ("Variable", "__imul__"): _in_place("*"),
    ("Variable", "__itruediv__"): _in_place("/"),
    ("Variable", "__ipow__"): _in_place("**"),
    # --- tf.Operation ---------------------------------------------------------------
    ("Operation", "control_inputs"): lambda o: o.ctl.control_inputs,
    ("Operation", "device"): lambda o: o.op.device,
    ("Operation", "graph"): lambda o: _IS(o.op.graph is o.g),
    ("Operation", "inputs"): lambda o: list(o.mul.op.inputs),
    ("Operation", "name"): lambda o: o.op.name,
    ("Operation", "node_def"): lambda o: o.mul.op.node_def,
    ("Operation", "op_def"): lambda o: o.mul.op.op_def,
    ("Operation", "outputs"): lambda o: o.op.outputs,
    ("Operation", "traceback"): lambda o: len(o.op.traceback) > 0,
    ("Operation", "type"): lambda o: o.mul.op.type,
    ("Operation", "colocation_groups"): lambda o: o.op.colocation_groups(),
    ("Operation", "get_attr"): lambda o: (o.op.get_attr("dtype"), o.mul.op.get_attr("T")),
    ("Operation", "run"): _then(lambda o: o.v.assign_add(o.c).op.run(), lambda o: o.v),
    ("Operation", "values"): lambda o: o.op.values(),
    # --- tf.Graph ---------------------------------------------------------------------
    ("Graph", "building_function"): lambda o: o.g.building_function,
    ("Graph", "collections"): lambda o: sorted(o.g.collections),
    ("Graph", "finalized"): _finalized,
    ("Graph", "graph_def_versions"): lambda o: o.g.graph_def_versions.producer > 0,
    ("Graph", "seed"): lambda o: o.g.seed,
    ("Graph", "version"): lambda o: o.g.version > 0,
    ("Graph", "add_to_collection"): _then(lambda o: o.g.add_to_collection("k", o.c),
                                          lambda o: o.g.get_collection("k")),
    ("Graph", "add_to_collections"): _then(
        lambda o: o.g.add_to_collections(["k1", "k2"], o.x),
        lambda o: (o.g.get_collection("k1"), o.g.get_collection("k2"))),
    ("Graph", "as_default"): _with(lambda o: o.g.as_default(),
                                   lambda o: o.tf.constant(2.) * o.c),
    ("Graph", "as_graph_def"): lambda o: sorted(n.name for n in o.g.as_graph_def().node),
    ("Graph", "as_graph_element"): lambda o: (o.g.as_graph_element("c:0"),
                                              o.g.as_graph_element("c")),
    ("Graph", "clear_collection"): _then(lambda o: o.g.add_to_collection("k", o.c),
                                         lambda o: o.g.clear_collection("k"),
                                         lambda o: o.g.get_collection("k")),
    ("Graph", "colocate_with"): _with(lambda o: o.g.colocate_with(o.c),
                                      lambda o: (o.c * 2.).op.colocation_groups()),
    ("Graph", "container"): _with(lambda o: o.g.container("box"),
                                  lambda o: o.tf.constant(1.) + o.c),
    ("Graph", "control_dependencies"): _with(
        lambda o: o.g.control_dependencies([o.v.initializer]),
        lambda o: (o.c + 1.).op.control_inputs),
    ("Graph", "create_op"): lambda o: o.g.create_op("Identity", [o.c], [o.tf.float32],
                                                    name="made").outputs[0],
    ("Graph", "device"): _with(lambda o: o.g.device("/cpu:0"), lambda o: (o.c + 1.).device),
    ("Graph", "finalize"): _finalized,
    ("Graph", "get_all_collection_keys"): lambda o: sorted(o.g.get_all_collection_keys()),
    ("Graph", "get_collection"): lambda o: o.g.get_collection(o.tf.GraphKeys.GLOBAL_VARIABLES),
    ("Graph", "get_collection_ref"): _then(
        lambda o: o.g.get_collection_ref("r").append(o.c), lambda o: o.g.get_collection("r")),
    ("Graph", "get_name_scope"): _with(lambda o: o.g.name_scope("outer"),
                                       lambda o: o.g.get_name_scope()),
    ("Graph", "get_operation_by_name"): lambda o: o.g.get_operation_by_name("c"),
    ("Graph", "get_operations"): lambda o: [op.name for op in o.g.get_operations()],
    ("Graph", "get_tensor_by_name"): lambda o: o.g.get_tensor_by_name("c:0"),
    ("Graph", "gradient_override_map"): _with(
        lambda o: o.g.gradient_override_map({"Square": "Identity"}),
        lambda o: o.tf.gradients(o.tf.square(o.c), o.c)),
    ("Graph", "is_feedable"): lambda o: (o.g.is_feedable(o.x), o.g.is_feedable(o.c)),
    ("Graph", "is_fetchable"): lambda o: (o.g.is_fetchable(o.c), o.g.is_fetchable(o.op)),
    ("Graph", "name_scope"): _with(lambda o: o.g.name_scope("scoped"),
                                   lambda o: o.tf.identity(o.c).name),
    ("Graph", "prevent_feeding"): _prevent("feeding"),
    ("Graph", "prevent_fetching"): _prevent("fetching"),
    ("Graph", "switch_to_thread_local"): lambda o: o.g.switch_to_thread_local(),
    ("Graph", "unique_name"): lambda o: (o.g.unique_name("foo"), o.g.unique_name("c")),
}
for _subject, _cls in (("c", "Tensor"), ("v", "Variable")):
    for _name in MEMBERS[_cls]:
        if _name.startswith("__") and (_cls, _name) not in RECIPES:
            RECIPES[(_cls, _name)] = _operator(_subject, _name)

# Variables of both TF1 kinds; the other classes' members with the shim's default.
CASES = [(cls, name, kind) for cls, names in MEMBERS.items() for name in names
         if (cls, name) not in MISSING
         for kind in (("ref", "resource") if cls == "Variable" else ("resource",))]


class _Objects:
    """What the recipes use, built with `tf` (the shim or TF's own tf.compat.v1)."""

    def __init__(self, tf_module, use_resource):
        t = self.tf = tf_module
        self.c = t.constant([[1., 2.], [3., 4.]], name="c")
        self.x = t.placeholder(t.float32, [2, 2], name="x")
        self.p = t.placeholder(t.float32, name="p")
        self.b = t.constant([True, False], name="b")
        self.b2 = t.constant([False, False], name="b2")
        self.v = t.get_variable("v", initializer=[[1., 2.], [3., 4.]],
                                use_resource=use_resource)
        self.bv = t.get_variable("bv", initializer=[True, False], use_resource=use_resource)
        self.n = t.get_variable("n", initializer=0, dtype=t.int32, use_resource=use_resource)
        self.mul = self.c * self.x
        with t.control_dependencies([self.v.initializer]):
            self.ctl = t.identity(self.c, name="ctl").op
        self.g = t.get_default_graph()
        self.op = self.c.op
        self.feed = {self.x: np.array([[5., 6.], [7., 8.]], np.float32)}
        self.init = t.global_variables_initializer()


def _evaluate(value, o):
    """The recipe's result in comparable form; graph objects through the session."""
    fetches, slots = [], []

    def walk(v):
        if isinstance(v, _IS):
            return ("is", v.name)
        if isinstance(v, (tf2.Tensor, tf2.Variable)) or type(v).__name__ in (
                "RefVariable", "PartitionedVariable"):
            fetches.append(v)
            slots.append(len(fetches) - 1)
            return ("value", getattr(v, "name", None), len(fetches) - 1)
        if isinstance(v, tf2.Operation):
            return ("op", v.name, v.type)
        if isinstance(v, tf2.TensorShape):
            return ("shape", v.as_list() if v.rank is not None else None)
        if isinstance(v, tf2.DType):
            return ("dtype", v.name)
        if isinstance(v, message.Message):
            return ("proto", type(v).__name__,
                    tuple(sorted(f.name for f, _ in v.ListFields())))
        if isinstance(v, enum.Enum):
            return ("enum", v.name)
        if isinstance(v, (list, tuple)):
            return tuple(walk(i) for i in v)
        if isinstance(v, (bytes, str, int, float, bool, type(None))):
            return v
        if isinstance(v, np.ndarray):
            return ("array", v.tolist())
        return ("object", type(v).__name__)

    shape = walk(value)
    values = o.sess.run(fetches, o.feed) if fetches else []

    def fill(s):
        if isinstance(s, tuple) and len(s) == 3 and s[0] == "value":
            return ("value", s[1], np.asarray(values[s[2]]).tolist())
        if isinstance(s, tuple):
            return tuple(fill(i) for i in s)
        return s
    return fill(shape), o.sess.run(o.v).tolist()


def _run(recipe, o):
    try:
        with o.sess.as_default():
            value = recipe(o)
            return _evaluate(value, o)
    except Exception as e:  # TF1 raises here too: the class must match
        return ("raises", type(e))


def _reference(recipe, use_resource):
    """TensorFlow's own TF1: a tf.Graph, tf.compat.v1, a v1 Session."""
    with tf2.Graph().as_default():
        o = _Objects(tf2.compat.v1, use_resource)
        with tf2.compat.v1.Session() as sess:
            o.sess = sess
            sess.run(o.init)
            return _run(recipe, o)


def _shim(recipe, use_resource, style, backend):
    if style == "graph":
        g = tf.Graph()
        with g.as_default():
            o = _Objects(tf, use_resource)
            o.sess = compat.Session(graph=g, backend=backend)
            o.sess.run(o.init)
            out = _run(recipe, o)
    else:
        o = _Objects(tf, use_resource)
        o.sess = compat.Session(backend=backend)
        o.sess.run(o.init)
        assert tf2.executing_eagerly()
        out = _run(recipe, o)  # module style: no graph entered
    o.sess.close()
    return out


def _same(got, ref):
    if isinstance(ref, tuple) and ref and ref[0] == "raises":
        assert isinstance(got, tuple) and got and got[0] == "raises", (
            f"TF1 raises {ref[1].__name__}; the shim gave {got!r}")
        assert issubclass(got[1], ref[1]) or issubclass(ref[1], got[1]), (got[1], ref[1])
        return
    assert got == ref


@pytest.fixture(scope="module")
def references():
    """TensorFlow's own TF1 results of every case (computed before any eager-backend
    test forbids TF's v1 Session)."""
    return {(c, n, k): _reference(RECIPES[(c, n)], k == "resource") for c, n, k in CASES}


@pytest.mark.parity  # runs both backends whatever COMPAT_BACKEND says
@pytest.mark.parametrize("style", ["module", "graph"])
@pytest.mark.parametrize("cls,name,kind", CASES, ids=[f"{c}.{n}-{k}" for c, n, k in CASES])
def test_member_behaves_as_in_tf1(cls, name, kind, style, references, backend):
    got = _shim(RECIPES[(cls, name)], kind == "resource", style, backend)
    _same(got, references[(cls, name, kind)])


def test_every_member_has_a_recipe_or_a_stated_error():
    members = {(c, n) for c, n, _ in CASES}
    assert sorted(members - set(RECIPES)) == []
    assert set(RECIPES) <= {(c, n) for c, names in MEMBERS.items() for n in names}


@pytest.mark.parametrize("member", sorted(MISSING), ids=lambda m: ".".join(m))
def test_missing_members_raise_naming_the_member(member):
    cls, name = member
    error, _ = MISSING[member]
    objects = {"Operation": tf.constant(1.).op}
    with pytest.raises(error, match=name):
        getattr(objects[cls], name)
