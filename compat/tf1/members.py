"""TF 1.15's documented members of the graph objects TF1 code handles, as data.

The TF1 object model the shim promises: every member TF 1.15 documented for
``tf.Tensor``, ``tf.Variable``, ``tf.Operation`` and ``tf.Graph`` behaves on what
``compat.v1`` builds as it did in TF 1.15, at module level and inside
``with graph.as_default()``, on both backends. ``tests/tf1/test_members.py`` exercises
each member through a recipe, on the shim in both styles and on TensorFlow's own TF1
graph and v1 Session, and compares (and fails if a member listed here has no recipe).
Members TensorFlow 2.21 no longer has are in :data:`MISSING` with what a call raises.

Kept beside the API table (``api_table.py``): that table lists the namespace's
symbols, this one the methods and properties of the objects they return.
"""

__all__ = ["MEMBERS", "MISSING", "OPERATORS"]

# The Python operators TF 1.15 overloaded on tf.Tensor and tf.Variable.
OPERATORS = (
    "__abs__", "__add__", "__and__", "__div__", "__floordiv__", "__ge__", "__getitem__",
    "__gt__", "__invert__", "__le__", "__lt__", "__matmul__", "__mod__", "__mul__",
    "__neg__", "__or__", "__pow__", "__radd__", "__rand__", "__rdiv__", "__rfloordiv__",
    "__rmatmul__", "__rmod__", "__rmul__", "__ror__", "__rpow__", "__rsub__",
    "__rtruediv__", "__rxor__", "__sub__", "__truediv__", "__xor__",
    "__eq__", "__ne__", "__hash__", "__bool__", "__iter__",
)

MEMBERS = {
    "Tensor": (
        "device", "dtype", "graph", "name", "op", "shape", "value_index",
        "consumers", "eval", "experimental_ref", "get_shape", "set_shape",
    ) + OPERATORS,
    "Variable": (
        "aggregation", "constraint", "device", "dtype", "graph", "initial_value",
        "initializer", "name", "op", "shape", "synchronization", "trainable",
        "assign", "assign_add", "assign_sub", "batch_scatter_update", "count_up_to", "eval",
        "experimental_ref", "from_proto", "gather_nd", "get_shape", "initialized_value",
        "load", "read_value", "scatter_add", "scatter_div", "scatter_max", "scatter_min",
        "scatter_mul", "scatter_nd_add", "scatter_nd_sub", "scatter_nd_update",
        "scatter_sub", "scatter_update", "set_shape", "sparse_read", "to_proto", "value",
        "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ipow__",
    ) + OPERATORS,
    "Operation": (
        "control_inputs", "device", "graph", "inputs", "name", "node_def", "op_def",
        "outputs", "traceback", "type", "colocation_groups", "get_attr", "run", "values",
        "traceback_with_start_lines",
    ),
    "Graph": (
        "building_function", "collections", "finalized", "graph_def_versions", "seed",
        "version", "add_to_collection", "add_to_collections", "as_default",
        "as_graph_def", "as_graph_element", "clear_collection", "colocate_with",
        "container", "control_dependencies", "create_op", "device", "finalize",
        "get_all_collection_keys", "get_collection", "get_collection_ref",
        "get_name_scope", "get_operation_by_name", "get_operations", "get_tensor_by_name",
        "gradient_override_map", "is_feedable", "is_fetchable", "name_scope",
        "prevent_feeding", "prevent_fetching", "switch_to_thread_local", "unique_name",
    ),
}

# Members of TF 1.15 that TensorFlow 2.21 removed, with the error a call raises there.
MISSING = {
    ("Operation", "traceback_with_start_lines"): (
        AttributeError, "removed in TF 2.x; Operation.traceback gives the frames (file, "
        "line, function, source line) without each function's first line"),
}
