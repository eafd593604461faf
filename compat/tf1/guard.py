"""Graph-mode guard: TF1 code built at module top level, inside an eager process.

TF2 runs eagerly by default and graph tensors cannot be used outside their graph.
TF1 programs build ops with no explicit graph (they relied on the process-wide
default graph). The shim never flips the process into graph mode; instead every
call that goes through ``compat.v1`` runs inside the TF1 default graph when the
caller is executing eagerly, and objects returned by such calls (optimizers,
savers, datasets, variable scopes, ...) are wrapped so that their methods do too.
Context managers (``variable_scope``, ``name_scope``, ``device``) keep the graph
entered for the whole ``with`` block, as TF1 did.

Operators on graph tensors and graph variables (``x * w + b``) are the one place
outside the namespace: :func:`install_operator_guards` adds the same guard to the
operator methods of graph tensors and graph-mode variables. It only changes
calls that raise today (a graph tensor used while executing eagerly); eager
tensors, ``tf.function`` tracing and Keras are untouched.
"""

import enum
import functools
import inspect
import threading
import types

import tensorflow as tf
import wrapt
from google.protobuf import message as _pb_message
from tensorflow.python.eager import context
from tensorflow.python.framework import ops
from tensorflow.python.framework import tensor as tensor_lib

from compat.tf1 import graphs as _tf1_graphs

__all__ = ["graph_mode", "guard_callable", "wrap_value", "unwrap", "GuardedClass",
           "GuardedObject", "install_operator_guards"]


def _in_eager():
    return context.executing_eagerly()


def graph_mode(graph=None):
    """Context manager entering `graph` (default: TF1's default graph) if eager."""
    if not _in_eager():
        return _NULL
    if graph is None:
        graph = ops.get_default_graph()
    return graph.as_default()


class _Null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


_NULL = _Null()

# Types returned as they are: values TF and user code check with isinstance or
# pass to C++, and whose methods do not build ops in a default graph.
_RAW_VALUE_TYPES = (
    tensor_lib.Tensor, ops.Operation, tf.Variable, tf.SparseTensor, tf.IndexedSlices,
    tf.RaggedTensor, ops.Graph, tf.TensorShape, tf.DType, tf.TypeSpec,
    tf.compat.v1.SparseTensorValue, _pb_message.Message, enum.Enum,
    BaseException, types.ModuleType, type(None), bool, int, float, complex, str, bytes,
)

# Classes exported as they are (not wrapped): construction builds no ops, and
# user code needs the real class (except clauses, isinstance, protobufs).
_RAW_CLASSES = (BaseException, _pb_message.Message, enum.Enum, tensor_lib.Tensor,
                ops.Operation, ops.Graph, tf.TensorShape, tf.DType, tf.TypeSpec,
                # TF's namedtuples (LSTMStateTuple, the seq2seq outputs and states):
                # structures that nest, isinstance(x, tuple) and C++ take apart; built
                # and read without ops
                tuple)


def _namedtuple(value):
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def unwrap(value):
    """Strips shim proxies from an argument (one level into lists, tuples, dicts)."""
    if isinstance(value, GuardedObject):
        return value.__wrapped__
    if isinstance(value, GuardedClass):
        return value.__wrapped__
    if type(value) in (list, tuple):
        if any(isinstance(v, (GuardedObject, GuardedClass)) for v in value):
            return type(value)(unwrap(v) for v in value)
        return value
    if type(value) is dict:
        if any(isinstance(v, (GuardedObject, GuardedClass)) for v in value.values()):
            return {k: unwrap(v) for k, v in value.items()}
        return value
    if _namedtuple(value):
        if any(isinstance(v, (GuardedObject, GuardedClass)) for v in value):
            return type(value)._make(unwrap(v) for v in value)
        return value
    return value


_TF_MODULES = ("tensorflow", "keras", "tf_keras", "tf_slim")
_RESTORED_TF1_MODULES = ("compat.tf1.contrib", "compat.tf1.estimator")


def _needs_wrap(value):
    if isinstance(value, (_RAW_VALUE_TYPES, GuardedObject, GuardedClass)):
        return False
    if isinstance(value, tuple):  # a structure (namedtuple): its elements may need it
        return False
    if getattr(type(value), "__compat_guarded_instances__", False):
        return True  # the shim's own TF1 builder classes (e.g. compat.checkpoint.Saver)
    if isinstance(value, (types.FunctionType, functools.partial)):
        # a function a TF1 API returns (a regularizer, tf-slim's init_fn): TF's own
        # functions build ops when called, e.g. at a script's top level
        fn = value.func if isinstance(value, functools.partial) else value
        module = getattr(fn, "__module__", None) or ""
        # so do the functions the shim's restored TF1 APIs return (an Estimator input_fn
        # called at a script's top level builds in TF1's default graph, as in TF 1.x)
        return module.startswith(_TF_MODULES + _RESTORED_TF1_MODULES)
    else:
        module = type(value).__module__ or ""
    return module.startswith(_TF_MODULES)


def wrap_value(value):
    """Wraps a TF builder object (optimizer, saver, dataset, scope...) in a proxy."""
    if isinstance(value, type):
        return wrap_class(value)
    if type(value) is tuple:
        if any(_needs_wrap(v) for v in value):
            return tuple(wrap_value(v) for v in value)
        return value
    if type(value) is list:
        if any(_needs_wrap(v) for v in value):
            return [wrap_value(v) for v in value]
        return value
    if _namedtuple(value):
        # LSTMStateTuple(c, h), BasicDecoderOutput(...): TF1 returned the tuple itself
        # (nest takes it apart; a proxy would be a leaf, converted to one packed tensor)
        if any(_needs_wrap(v) for v in value):
            return type(value)._make(wrap_value(v) for v in value)
        return value
    if _needs_wrap(value):
        if callable(value) and isinstance(value, (types.FunctionType, types.MethodType,
                                                  functools.partial)):
            return guard_callable(value)
        return GuardedObject(value)
    return value


def guard_callable(fn, wrap_result=True, signature=False):
    """Returns `fn` run inside TF1's default graph when called eagerly (`signature`: give
    the wrapper `fn`'s signature for ``inspect.getfullargspec``; the wrappers the shim
    caches, namespace functions and class attributes, do: it costs a signature per
    wrap)."""
    if getattr(fn, "__compat_guarded__", False):
        return fn

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        args = tuple(unwrap(a) for a in args)
        if kwargs:
            kwargs = {k: unwrap(v) for k, v in kwargs.items()}
        graph = ops.get_default_graph()
        _tf1_graphs.mark_tf1_graph(graph)  # TF1 code builds it: TF1 shapes (compat.tf1.graphs)
        tf1 = _tf1_graphs.tf1_calls
        tf1.depth = getattr(tf1, "depth", 0) + 1
        try:
            if _in_eager():
                with graph.as_default():
                    result = fn(*args, **kwargs)
            else:
                result = fn(*args, **kwargs)
        finally:
            tf1.depth -= 1
        if type(result) is ops.Graph:  # compat.v1.Graph()
            _tf1_graphs.mark_tf1_graph(result)
        return wrap_value(result) if wrap_result else result

    guarded.__compat_guarded__ = True
    if signature and not isinstance(fn, types.MethodType):
        # inspect.getfullargspec (which TF1 libraries use to check a function's or a
        # constructor's arguments) does not follow __wrapped__ but reads __signature__
        try:
            guarded.__signature__ = inspect.signature(fn)
        except (TypeError, ValueError):  # builtins without a signature
            pass
    return guarded


class _EnterMixin:
    """Keeps TF1's default graph entered for the body of a ``with`` block."""

    def _compat_enter(self, enter):
        stack = self._self_graph_cms.__dict__.setdefault("stack", [])
        if _in_eager():
            cm = ops.get_default_graph().as_default()
            cm.__enter__()
            stack.append(cm)
        else:
            stack.append(None)
        try:
            return wrap_value(enter())
        except BaseException as e:
            cm = stack.pop()
            if cm is not None:
                cm.__exit__(type(e), e, e.__traceback__)
            raise

    def _compat_exit(self, exit_fn, exc_type, exc, tb):
        stack = self._self_graph_cms.__dict__.setdefault("stack", [])
        try:
            return exit_fn(exc_type, exc, tb)
        finally:
            cm = stack.pop() if stack else None
            if cm is not None:
                cm.__exit__(exc_type, exc, tb)


_COMPUTED = (property, functools.cached_property)


class GuardedObject(_EnterMixin, wrapt.ObjectProxy):
    """Proxy for a TF1 builder object: its methods run in TF1's default graph."""

    def __init__(self, wrapped):
        super().__init__(wrapped)
        self._self_graph_cms = threading.local()

    def __getattr__(self, name):
        if name.startswith("_self_"):
            raise AttributeError(name)
        wrapped = self.__wrapped__
        if _in_eager() and isinstance(getattr(type(wrapped), name, None), _COMPUTED):
            # a property (`layer.updates`, `layer.losses`) computes in TF1's default
            # graph, as its methods do: read eagerly, some raise or return eager values
            with ops.get_default_graph().as_default():
                value = getattr(wrapped, name)
        else:
            value = getattr(wrapped, name)
        if isinstance(value, types.MethodType):
            # still a bound method: unittest's loader, inspect and others tell methods
            # from plain functions (`python my_test.py FooTest.testBar`)
            return types.MethodType(guard_callable(value.__func__), value.__self__)
        if callable(value) and not isinstance(value, type):
            return guard_callable(value)
        return wrap_value(value)

    def __call__(self, *args, **kwargs):
        return guard_callable(self.__wrapped__)(*args, **kwargs)

    def __enter__(self):
        return self._compat_enter(self.__wrapped__.__enter__)

    def __exit__(self, exc_type, exc, tb):
        return self._compat_exit(self.__wrapped__.__exit__, exc_type, exc, tb)

    def __iter__(self):
        return iter(self.__wrapped__)

    def __reduce_ex__(self, protocol):
        return self.__wrapped__.__reduce_ex__(protocol)


def _convert_guarded(value, dtype=None, name=None, as_ref=False):
    """A proxied TF object (a PartitionedVariable a TF1 call returned, say) converts to
    a tensor as the object itself does, wherever TF converts it (raw TF calls too)."""
    from tensorflow.python.framework import tensor_conversion_registry

    return tensor_conversion_registry.convert(value.__wrapped__, dtype, name, as_ref)


# Attributes of a TF class that GuardedClass itself defines, read from the class instead.
_CLASS_ATTRIBUTES = ("__init__", "__call__", "__new__")


class GuardedClass:
    """Proxy for a TF1 class: construction and class-level calls are guarded.

    Behaves like the class for ``isinstance``, ``issubclass``, attribute access,
    equality and subclassing (``class MyOpt(tf.train.Optimizer)`` subclasses the
    real class).
    """

    def __init__(self, cls):
        object.__setattr__(self, "__wrapped__", cls)
        object.__setattr__(self, "__name__", cls.__name__)
        object.__setattr__(self, "__qualname__", getattr(cls, "__qualname__", cls.__name__))
        object.__setattr__(self, "__module__", cls.__module__)
        object.__setattr__(self, "__doc__", cls.__doc__)
        # `Cls.__init__`, `Cls.__call__`, `Cls.__new__` read as attributes (introspection:
        # `inspect.getfullargspec(cls.__init__)`, a layer's call signature) are the
        # class's own, as TF1 gave them; the proxy's methods of those names would shadow
        # them (calling the proxy still goes through its type: construction is guarded)
        for name in _CLASS_ATTRIBUTES:
            if hasattr(cls, name):
                object.__setattr__(self, name, self.__getattr__(name))

    def __call__(self, *args, **kwargs):
        return guard_callable(self.__wrapped__)(*args, **kwargs)

    def __getattr__(self, name):
        value = getattr(self.__wrapped__, name)
        if isinstance(value, type):
            return wrap_class(value)
        if callable(value) and isinstance(value, (types.FunctionType, types.MethodType)):
            return guard_callable(value, signature=True)
        return value

    def __setattr__(self, name, value):
        setattr(self.__wrapped__, name, value)

    def __instancecheck__(self, obj):
        return isinstance(unwrap(obj), _tf1_class(self.__wrapped__))

    def __subclasscheck__(self, cls):
        return issubclass(unwrap(cls), _tf1_class(self.__wrapped__))

    @property
    def __class__(self):
        # the class's metaclass: isinstance(Cls, type) and inspect.isclass hold, as for
        # the class itself (type(proxy) stays GuardedClass)
        return type(self.__wrapped__)

    def __mro_entries__(self, bases):
        # `class MyLayer(tf.layers.Layer)`: the user's class derives from a generated
        # subclass whose methods run in TF1's default graph when called eagerly, so
        # module-level use of user subclasses works like the shim's own classes.
        # The other bases' metaclasses (absl's parameterized.TestCase, abc.ABC) join
        # the generated one, so the class statement has one most-derived metaclass.
        others = tuple(type(b) for b in bases
                       if not isinstance(b, GuardedClass) and isinstance(b, type))
        return (guarded_base(self.__wrapped__, others),)

    def __eq__(self, other):
        return unwrap(other) is self.__wrapped__

    def __hash__(self):
        return hash(self.__wrapped__)

    def __repr__(self):
        return repr(self.__wrapped__)

    def __dir__(self):
        return dir(self.__wrapped__)


_class_cache = {}
_class_lock = threading.Lock()


def _tf1_class(cls):
    """What ``isinstance(x, tf.<cls>)`` accepts in TF 1.15: ``tf.Variable`` (TF 2's
    ``VariableV1``) is the base of every variable class there, resource variables
    included."""
    from tensorflow.python.ops import variable_v1, variables
    return variables.Variable if cls is variable_v1.VariableV1 else cls


_base_cache = {}


def guarded_base(cls, other_metaclasses=()):
    """The base class given to user subclasses of a shim class (``class
    MyLayer(tf.layers.Layer)``): a subclass of `cls` whose metaclass builds
    instances inside TF1's default graph (when called eagerly) and returns them
    proxied like the shim's own objects, so their methods (``__call__``,
    ``minimize``, ...) run in the graph too. `other_metaclasses`: those of the
    subclass's other bases, which the generated metaclass also derives from where
    `cls`'s does not already. Cached per class and metaclasses."""
    meta = type(cls)
    extra = []
    for other in other_metaclasses:
        if not issubclass(meta, other) and other not in extra and not any(
                issubclass(e, other) for e in extra):
            extra.append(other)
    key = (cls, tuple(extra))
    with _class_lock:
        base = _base_cache.get(key)
        if base is not None:
            return base

        def __call__(klass, *args, **kwargs):
            instance = guard_callable(super(guarded_meta, klass).__call__,
                                      wrap_result=False)(*args, **kwargs)
            return GuardedObject(instance)

        # the other metaclasses first: one may derive from `meta` (every one from type)
        guarded_meta = type(f"Guarded{meta.__name__}", (*extra, meta), {"__call__": __call__})
        base = guarded_meta(cls.__name__, (cls,), {
            "__module__": cls.__module__, "__doc__": cls.__doc__,
            "__qualname__": cls.__qualname__, "__compat_guarded_base__": cls})
        _base_cache[key] = base
        return base


def wrap_class(cls):
    """The shim's view of a TF class: raw for value types, else a GuardedClass."""
    if issubclass(cls, _RAW_CLASSES):
        return cls
    module = cls.__module__ or ""
    if not module.startswith(("tensorflow", "keras", "tf_keras")) and not getattr(
            cls, "__compat_guarded_instances__", False):
        return cls
    with _class_lock:
        proxy = _class_cache.get(cls)
        if proxy is None:
            proxy = _class_cache[cls] = GuardedClass(cls)
        return proxy


# --- operators on graph tensors and graph variables --------------------------

_installed = False
_install_lock = threading.Lock()

# Methods of graph objects that never build an op (accessors the runtimes call on every
# run): left as they are, so a session's fetch and feed handling costs nothing extra.
_ACCESSORS = frozenset({"ref", "experimental_ref", "get_shape", "set_shape", "consumers",
                        "numpy", "__hash__", "__repr__", "__str__",
                        "__init__", "__new__", "__del__", "__getattr__", "__setattr__",
                        "__reduce__", "__reduce_ex__", "__copy__", "__deepcopy__",
                        "__array__", "__len__", "__bool__", "__nonzero__", "__index__",
                        "__tf_tensor__", "__array_priority__"})


# Operators, and iteration: TF1 raised TypeError iterating a graph tensor (TF 2 iterates
# one of known length when executing eagerly, i.e. at module level).
_GUARDED_DUNDERS = frozenset(tensor_lib.Tensor.OVERLOADABLE_OPERATORS) | {"__iter__"}


def _guarded_names(cls):
    """The methods of graph-object class `cls` (with its bases up to ``object``) the guard
    covers: every public method and every operator, not the accessors. This is the
    class-level rule that makes any method of a TF1 graph object build in its graph when
    called from module level, whatever TF version adds or renames."""
    names = set()
    for klass in cls.__mro__:
        if klass is object:
            continue
        for name, value in vars(klass).items():
            if not isinstance(value, types.FunctionType) or name in _ACCESSORS:
                continue
            if not name.startswith("_") or name in _GUARDED_DUNDERS:
                names.add(name)
    return names


def _guard_returned(value, graph):
    """Plain functions TF attaches to a returned graph tensor (``v[1:3].assign``) build
    in `graph` too when called from module level."""
    attached = getattr(value, "__dict__", None) if isinstance(value, ops.SymbolicTensor) \
        else None
    if attached:
        for name, fn in list(attached.items()):
            if isinstance(fn, types.FunctionType) and not getattr(
                    fn, "__compat_guarded__", False):
                attached[name] = _in_graph(fn, graph)
    return value


def _entering(fn, graph_of):
    """`fn`, entering the graph ``graph_of(*args)`` names (None: none) when called while
    eager; the one guard behind every graph-object method the shim covers."""
    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        if context.executing_eagerly():
            graph = graph_of(*args)
            if graph is not None:
                with graph.as_default():
                    return _guard_returned(fn(*args, **kwargs), graph)
        return fn(*args, **kwargs)

    guarded.__compat_guarded__ = True
    return guarded


def _in_graph(fn, graph):
    return _entering(fn, lambda *args: graph)


def _graph_of(obj):
    try:
        return obj.graph
    except (AttributeError, RuntimeError):
        return None


def _tensor_graph(tensor, *args):
    graph = _graph_of(tensor)
    if graph is None or getattr(graph, "building_function", False):
        return None
    return graph


def _guard_tensor_method(method):
    return _entering(method, _tensor_graph)


def _is_graph_variable(var):
    in_graph = getattr(var, "_in_graph_mode", None)
    if in_graph is not None:
        return in_graph
    parts = getattr(var, "_variable_list", None)  # PartitionedVariable
    if parts:
        return _is_graph_variable(parts[0])
    # RefVariable: always a graph variable
    return isinstance(getattr(var, "_variable", None), ops.SymbolicTensor)


def _variable_graph(var, *args):
    if not _is_graph_variable(var):
        return None
    parts = getattr(var, "_variable_list", None)  # PartitionedVariable: its parts' graph
    return parts[0].graph if parts else var.graph


def _guard_variable_method(method):
    return _entering(method, _variable_graph)


# TF1's in-place operators on a variable: ``v += x`` builds ``v + x`` and rebinds the
# name (TF 1.x's default variable); TF 2's resource variables raise RuntimeError.
_IN_PLACE = {"__iadd__": "__add__", "__isub__": "__sub__", "__imul__": "__mul__",
             "__idiv__": "__div__", "__itruediv__": "__truediv__",
             "__irealdiv__": "__truediv__", "__ipow__": "__pow__"}


def _tf1_in_place(method, binary):
    @functools.wraps(method)
    def in_place(self, other):
        # only variables standing in for TF1's default (ref) variable: one created with
        # use_resource=True is TF1's ResourceVariable, whose in-place operators raise
        if _is_graph_variable(self) and _tf1_graphs.is_tf1_graph(self.graph):
            from compat.tf1 import variables as _variables

            if _variables.is_tf1_default(self.graph, self.op.name):
                return getattr(self, binary)(other)
        return method(self, other)

    in_place.__compat_guarded__ = True
    return in_place


def _variable_classes():
    """The variable classes TF1 code gets (resource, unread, ref, partitioned) and their
    bases: each gets guarded methods (see :func:`_guarded_names`)."""
    from tensorflow.python.ops import ref_variable, resource_variable_ops, variables
    classes = (variables.Variable, resource_variable_ops.BaseResourceVariable,
               resource_variable_ops.ResourceVariable,
               getattr(resource_variable_ops, "_UnreadVariable", None),
               ref_variable.RefVariable, variables.PartitionedVariable)
    out = []
    for cls in classes:  # with every base that defines methods (VariableV1, ...)
        for klass in (cls.__mro__ if cls is not None else ()):
            if klass is not object and klass not in out:
                out.append(klass)
    return out


def _mode_dependent(prop):
    """Whether a property's getter consults the execution mode (TF raises for graph
    variables there when eager, e.g. a resource variable's ``initial_value``)."""
    import inspect

    try:
        return "executing_eagerly" in inspect.getsource(prop.fget)
    except (OSError, TypeError):
        return False


def _guard_properties(cls, graph_of):
    """Properties of `cls` whose getter depends on the execution mode read inside the
    object's graph when called while eager (the same rule as methods, for getters)."""
    for name, value in list(vars(cls).items()):
        if (isinstance(value, property) and value.fget is not None
                and not getattr(value.fget, "__compat_guarded__", False)
                and _mode_dependent(value)):
            setattr(cls, name, property(_entering(value.fget, graph_of), value.fset,
                                        value.fdel, value.__doc__))


def install_operator_guards():
    """Lets operators on graph tensors/variables build in their graph when eager.

    Idempotent. Graph tensors (``ops.SymbolicTensor``) get guarded operator
    methods on their own class; eager tensors are not touched. Graph-mode
    resource variables get guarded operators and assign/read methods, which
    check ``_in_graph_mode`` first, so eager variables behave exactly as before.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        from tensorflow.python.ops import resource_variable_ops

        symbolic = ops.SymbolicTensor
        for name in _guarded_names(symbolic):  # guarded on the graph tensor class only
            method = getattr(symbolic, name, None)
            if method is None or getattr(method, "__compat_guarded__", False):
                continue
            setattr(symbolic, name, _guard_tensor_method(method))
        for cls in _variable_classes():
            _guard_properties(cls, _variable_graph)
            for name in _guarded_names(cls):
                method = cls.__dict__.get(name)
                if method is None or not isinstance(method, types.FunctionType) or getattr(
                        method, "__compat_guarded__", False):
                    continue
                setattr(cls, name, _guard_variable_method(method))
        for name, binary in _IN_PLACE.items():
            method = resource_variable_ops.BaseResourceVariable.__dict__.get(name)
            if method is not None and not getattr(method, "__compat_guarded__", False):
                setattr(resource_variable_ops.BaseResourceVariable, name,
                        _tf1_in_place(method, binary))
        # TF1's initialized_value() (RefVariable's), which TF 2.x's resource variables
        # no longer implement (they raise NotImplementedError)
        from tensorflow.python.ops import variable_v1
        tf1_initialized_value = variable_v1.VariableV1.__dict__.get("initialized_value")
        base = resource_variable_ops.BaseResourceVariable
        if tf1_initialized_value is not None and "initialized_value" not in base.__dict__:
            setattr(base, "initialized_value", _guard_variable_method(tf1_initialized_value))
        sparse = tf.SparseTensor
        for name in ("__mul__", "__div__", "__truediv__"):
            method = sparse.__dict__.get(name)
            if method is not None and not getattr(method, "__compat_guarded__", False):
                setattr(sparse, name, _guard_tensor_method(method))
        from tensorflow.python.framework import tensor_conversion_registry

        tensor_conversion_registry.register_tensor_conversion_function(
            GuardedObject, _convert_guarded)
        _tf1_graphs.install()
        _installed = True
