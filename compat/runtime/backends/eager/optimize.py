"""Grappler, configured exactly as a v1 Session configures it for one run."""

import os
import threading
from tensorflow.core.protobuf import config_pb2
from tensorflow.core.protobuf import device_properties_pb2
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow.python.grappler import cluster as grappler_cluster
from tensorflow.python.grappler import tf_optimizer


_CPU = "/job:localhost/replica:0/task:0/device:CPU:0"


_grappler_lock = threading.Lock()


_grappler_cluster = []


def _cpu_mhz():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cpu MHz"):
                    return int(float(line.split(":")[1]))
    except (OSError, ValueError):
        pass
    return 1000


def _cluster():
    """A virtual cluster of this process's CPU, for the graph optimizer's device
    questions (a v1 Session gives it its own device set the same way)."""
    if not _grappler_cluster:
        device = device_properties_pb2.NamedDevice(
            name=_CPU, properties=device_properties_pb2.DeviceProperties(
                type="CPU", num_cores=os.cpu_count() or 1, frequency=_cpu_mhz()))
        _grappler_cluster.append(grappler_cluster.Cluster(devices=[device]))
    return _grappler_cluster[0]


def _optimize_like_a_session(graph_def, feed_nodes, fed_tensors, fetches,
                             target_names, config):
    """`graph_def` optimized by grappler as a v1 Session with `config` optimizes a
    run: fetched tensors ((name, tensor) pairs) and targets preserved, feeds fed, cond
    and while_loop lowered to TF1 control flow and optimized with the rest. As in the
    Session, a failing optimizer leaves the graph unoptimized."""
    meta = meta_graph_pb2.MetaGraphDef()
    meta.graph_def.CopyFrom(graph_def)
    meta.collection_def["train_op"].node_list.value.extend(target_names)
    signature = meta.signature_def["compat_run"]
    for name, t in zip(feed_nodes, fed_tensors):
        info = signature.inputs[name]
        info.name = f"{name}:0"
        info.dtype = t.dtype.base_dtype.as_datatype_enum
        info.tensor_shape.CopyFrom(t.shape.as_proto())
    for i, (name, t) in enumerate(fetches):
        info = signature.outputs[f"fetch_{i}"]
        info.name = name
        info.dtype = t.dtype.base_dtype.as_datatype_enum
        info.tensor_shape.CopyFrom(t.shape.as_proto())
    rewriter_config = config_pb2.ConfigProto()
    if config is not None:
        rewriter_config.graph_options.rewrite_options.CopyFrom(
            config.graph_options.rewrite_options)
    try:
        with _grappler_lock:
            return tf_optimizer.OptimizeGraph(rewriter_config, meta, verbose=False,
                                              graph_id=b"compat_run", cluster=_cluster())
    except Exception:  # noqa: BLE001 - the Session runs the unoptimized graph then
        return graph_def


def _merged_library(original, optimized):
    """The graph's functions, plus those the optimizer added (specializations); a
    function it rewrote under the same name keeps the graph's definition (the
    runtime knows each name once, and other signatures call the graph's)."""
    names = {f.signature.name for f in original.function}
    merged = type(original)()
    merged.CopyFrom(original)
    for fdef in optimized.function:
        if fdef.signature.name not in names:
            merged.function.add().CopyFrom(fdef)
    known = {g.function_name for g in original.gradient}
    for grad in optimized.gradient:
        if grad.function_name not in known:
            merged.gradient.add().CopyFrom(grad)
    return merged
