"""The graph runtime: a ``tf.compat.v1.Session`` on the program's graph."""

import tensorflow as tf

__all__ = ["NAME", "Runner"]

NAME = "graph"


class Runner:
    """Executes a TF1 graph with TensorFlow's own v1 Session."""

    name = NAME

    def __init__(self, graph, target="", config=None):
        self.graph = graph
        self._session = tf.compat.v1.Session(target, graph=graph, config=config)

    @property
    def raw_session(self):
        """The underlying ``tf.compat.v1.Session``."""
        return self._session

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        return self._session.run(fetches, feed_dict, options, run_metadata)

    def make_callable(self, fetches, feed_list=None, accept_options=False):
        return self._session.make_callable(fetches, feed_list, accept_options)

    def make_callable_from_options(self, callable_options):
        return self._session._make_callable_from_options(callable_options)

    def partial_run_setup(self, fetches, feeds=None):
        return self._session.partial_run_setup(fetches, feeds)

    def partial_run(self, handle, fetches, feed_dict=None):
        return self._session.partial_run(handle, fetches, feed_dict)

    def list_devices(self):
        return self._session.list_devices()

    @property
    def sess_str(self):
        return self._session.sess_str

    def close(self):
        self._session.close()
