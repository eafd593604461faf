"""TF1 Keras in TF1 code (``compat.v1.keras``: ``fit`` / ``evaluate`` / ``predict``,
``K.get_session()``, ``K.function``) runs through ``compat.Session`` on the chosen
backend: on eager no TensorFlow v1 Session is constructed (the ``backend`` fixture
forbids it), and the numbers equal the graph backend's bit for bit, in module style and
inside ``with graph.as_default()``."""

import numpy as np
import pytest

import compat
import compat.v1 as tf

K = tf.keras.backend

_rng = np.random.RandomState(0)
X = _rng.randn(64, 4).astype(np.float32)
Y = (X @ np.array([[1.], [-2.], [0.5], [3.]], np.float32) + 0.1).astype(np.float32)


def _functional():
    inp = tf.keras.Input((4,))
    h = tf.keras.layers.Dense(8, activation="tanh")(inp)
    h = tf.keras.layers.BatchNormalization()(h)
    h = tf.keras.layers.Dropout(0.25, seed=3)(h)
    out = tf.keras.layers.Dense(1)(h)
    model = tf.keras.Model(inp, out)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


def _run(case):
    tf.set_random_seed(0)
    np.random.seed(1)
    out = {}
    if case == "default":
        model = _functional()
        out["history"] = model.fit(X, Y, epochs=3, batch_size=16, shuffle=True,
                                   validation_split=0.25, verbose=0).history
        out["evaluate"] = model.evaluate(X, Y, verbose=0)
        out["predict"] = model.predict(X[:8])
        out["batch"] = model.train_on_batch(X[:16], Y[:16])
        out["weights"] = model.get_weights()
        out["session"] = K.get_session()
    elif case == "set_session":
        sess = tf.Session()
        K.set_session(sess)
        model = _functional()
        out["history"] = model.fit(X, Y, epochs=2, batch_size=16, verbose=0).history
        out["moving_mean"] = K.get_value(model.layers[2].moving_mean)
        out["session"] = K.get_session()
        assert out["session"] is sess
    elif case == "dataset":
        model = _functional()
        data = tf.data.Dataset.from_tensor_slices((X, Y)).batch(16).repeat()
        out["history"] = model.fit(data, epochs=2, steps_per_epoch=4, verbose=0).history
        out["evaluate"] = model.evaluate(data, steps=2, verbose=0)
        out["session"] = K.get_session()
    elif case == "function":
        model = _functional()
        f = K.function([model.input, K.learning_phase()], [model.output])
        K.get_session().run(tf.global_variables_initializer())
        out["inference"] = f([X[:4], 0])[0]
        out["training"] = f([X[:4], 1])[0]
        out["session"] = K.get_session()
    return out


def _in_style(style, case, backend):
    with compat.use_backend(backend):
        if style == "module":
            out = _run(case)
        else:
            with tf.Graph().as_default():
                out = _run(case)
    session = out.pop("session")
    assert isinstance(session, compat.Session) and session.backend == backend
    K.clear_session()
    return out


def _flat(value):
    if isinstance(value, dict):
        return {k: _flat(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_flat(v) for v in value]
    return np.asarray(value).tolist()


@pytest.mark.parity
@pytest.mark.parametrize("case", ["default", "set_session", "dataset", "function"])
@pytest.mark.parametrize("style", ["module", "graph"])
def test_tf1_keras_runs_on_both_backends_with_equal_numbers(case, style, monkeypatch):
    graph = _flat(_in_style(style, case, "graph"))
    if case == "default":
        losses = graph["history"]["loss"]
        assert losses[-1] < losses[0]
    from tensorflow.python.client import session as tf_session

    def forbidden(self, *args, **kwargs):
        self._session = None
        raise AssertionError("tf.compat.v1.Session constructed on the eager backend")

    monkeypatch.setattr(tf_session.BaseSession, "__init__", forbidden)
    eager = _flat(_in_style(style, case, "eager"))
    assert eager == graph
