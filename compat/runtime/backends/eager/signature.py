"""One (feeds, fetches, targets) signature compiled to a TF2 concrete function."""

import itertools
from tensorflow.python.eager import cancellation
from tensorflow.python.eager import context
from tensorflow.python.eager import execute
from tensorflow.core.protobuf import config_pb2
from tensorflow.python.framework import dtypes
from tensorflow.python.framework import ops

from compat.runtime.backends.eager.subgraph import _private_copy


_FEED_PREFIX = "compat__feed__"


_FETCH_PREFIX = "compat__fetch__"


_RES_PREFIX = "compat__res__"


_registered_functions = set()


_NO_GRAPPLER = {}


def _function_attrs(options):
    """The call attributes of `options` with the graph optimizer off (the function's
    graph was optimized already, as a Session optimizes it)."""
    attrs = _NO_GRAPPLER.get(id(options))
    if attrs is None or attrs[0] is not options:
        proto = config_pb2.ConfigProto()
        if options.config_proto_serialized:
            proto.ParseFromString(options.config_proto_serialized)
        proto.graph_options.rewrite_options.disable_meta_optimizer = True
        own = context.FunctionCallOptions(executor_type=options.executor_type,
                                          config_proto=proto)
        attrs = (options, own, tuple(itertools.chain(*own.as_attrs().items())))
        if len(_NO_GRAPPLER) > 64:
            _NO_GRAPPLER.clear()
        _NO_GRAPPLER[id(options)] = attrs
    return attrs


class _Signature:
    """One compiled (feeds, fetches, targets) combination."""

    __slots__ = ("function", "feed_dtypes", "must_be_initialized", "assigned", "n_fetch",
                 "copy_feeds", "direct", "_options", "_attrs")

    def prepare_direct(self):
        """Sets up :meth:`call`'s direct path: the compiled function executed by name, as
        ``AtomicFunction.call_flat`` does, without its per-call Python work (attribute
        serialization, tape and control-dependency scopes, output handle data). Only for
        plain numeric feeds and non-resource, non-variant outputs."""
        self.direct = None
        self._options = self._attrs = None
        atomic = getattr(self.function, "_inference_function", None)
        if atomic is None or getattr(atomic, "call_flat", None) is None:  # pragma: no cover
            return
        try:
            outputs = atomic.function_type.flat_outputs
            name = atomic.name.decode()
        except AttributeError:  # pragma: no cover - other TF versions
            return
        if any(d in (dtypes.resource, dtypes.variant, dtypes.string)
               for d in self.feed_dtypes) or any(
                o.dtype in (dtypes.resource, dtypes.variant) for o in outputs):
            return
        self.direct = (atomic, name, len(outputs), list(self.function.captured_inputs),
                       [d.as_datatype_enum for d in self.feed_dtypes])

    def call(self, values):
        """Calls the concrete function with already validated NumPy feeds."""
        direct = self.direct
        if direct is not None and cancellation.context() is None:
            atomic, name, n_out, captures, enums = direct
            ctx = context.context()
            ctx.ensure_initialized()
            options = ctx.function_call_options
            if options is not self._options:
                self._attrs = _function_attrs(options)[2]
                self._options = options
            device = ctx.device_name
            if self.copy_feeds or ctx.is_async():
                # state built from a feed never shares the caller's memory (a v1 Session
                # may share it: a dataset from a feed saw later writes to the array)
                values = [_private_copy(v) for v in values]
            inputs = [ops.EagerTensor(v, device, e) for v, e in zip(values, enums)]
            inputs.extend(captures)
            return execute.quick_execute(name, n_out, inputs, self._attrs, ctx)
        function = self.function
        call_flat = getattr(function, "_call_flat", None)
        if call_flat is None:  # pragma: no cover - other TF versions
            return function(*values)
        tensors = [ops.convert_to_tensor(v, dtype=d) for v, d in zip(values, self.feed_dtypes)]
        ctx = context.context()
        options = ctx.function_call_options
        ctx.function_call_options = _function_attrs(options)[1]
        try:
            return call_flat(tensors, function.captured_inputs)
        finally:
            ctx.function_call_options = options
