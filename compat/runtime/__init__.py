"""How a Session runs a TF1 graph.

* :mod:`~compat.runtime.config`: which backend a Session uses (the one place that decides).
* :mod:`~compat.runtime.session`: the ``Session`` facade (lifecycle, default session,
  fetch rewriting), the same on every backend.
* :mod:`~compat.runtime.fetches`: fetch-name rewriting shared by the backends.
* :mod:`~compat.runtime.backends`: one package per runtime (``graph``, ``eager``), each
  with a ``runner`` module defining ``Runner``.
"""
