"""The TF1 surface: what ``import compat.v1 as tf`` serves.

* :mod:`~compat.tf1.namespace`: proxies over ``tf.compat.v1`` (``Namespace``, ``Lazy``).
* :mod:`~compat.tf1.guard`: module-level TF1 code builds in TF1's default graph.
* :mod:`~compat.tf1.graphs`: TF1 shapes (``Dimension``) and hashing in TF1 graphs.
* :mod:`~compat.tf1.managed`: ``MonitoredTrainingSession`` & co. open the shim's sessions.
* :mod:`~compat.tf1.imports`: ``import compat.v1.contrib.slim`` and friends.
* :mod:`~compat.tf1.api_table`: the supported-API table (data; docs and tests read it).
* :mod:`~compat.tf1.testcase`: ``tf.test.TestCase`` on the shim's sessions.
* :mod:`~compat.tf1.restored`: ``tf.layers``, ``tf.nn.rnn_cell``, ``tf.keras``, ``tf.contrib``
  and ``tf.estimator`` as TF 1.x served them.
* :mod:`~compat.tf1.contrib` / :mod:`~compat.tf1.estimator`: compat's own code for the
  removed APIs.
"""
