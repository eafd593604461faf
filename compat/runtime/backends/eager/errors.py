"""Kernel errors raised in a function, rewritten to the v1 Session's message and op."""

import re
from tensorflow.python.client import session as tf_session
from tensorflow.python.framework import error_interpolation
from tensorflow.python.util import compat as tf_compat


# The function's nodes are the graph's, imported under the scope "s/" (see _compile);
# the function runtime adds a header naming them, and its own name at the end.
_RUNTIME_HEADER = re.compile(
    r"\AGraph execution error:\n\n(?:Detected at node \S+ defined at \(most recent call "
    r"last\):\n(?:<stack traces unavailable>\n)?)*")


_FUNCTION_SUFFIX = re.compile(r"\s*\[Op:__inference_[^\]]*\]\s*\Z")


_IMPORTED_NODE = re.compile(r"(\{\{node |\[\[node |\[\[|Node: ')s/")


def _session_error(error, graph):
    """`error` (raised by a compiled run) as a v1 Session raises it: the same class,
    ``op`` and ``node_def`` of the graph's failing op, the message naming the graph's
    nodes and where the op was defined."""
    message = tf_compat.as_text(error.message)
    message = _RUNTIME_HEADER.sub("", message)
    message = _FUNCTION_SUFFIX.sub("", message)
    message = _IMPORTED_NODE.sub(r"\1", message)
    op = node_def = None
    found = tf_session.BaseSession._NODEDEF_NAME_RE.search(message)
    if found is not None:
        try:
            op = graph.get_operation_by_name(found.group(3))
            node_def = op.node_def
        except KeyError:
            pass
    message = error_interpolation.interpolate_graph(message, graph)
    return type(error)(node_def, op, message)
