"""The graph runtime: TensorFlow's own v1 Session on the program's graph."""

from compat.runtime.backends.graph.runner import NAME, Runner

__all__ = ["NAME", "Runner"]
