"""deepctr 0.9.4: DeepFM on sparse + dense features built with deepctr's feature
columns (SparseFeat, DenseFeat), compiled and trained with Keras fit, evaluated and
used to predict (after deepctr's README "Getting started" on Criteo)."""
import json
import os

import numpy as np
import tensorflow as tf
from deepctr.feature_column import DenseFeat, SparseFeat, get_feature_names
from deepctr.models import DeepFM

rng = np.random.RandomState(0)
N = 512
data = {"user": rng.randint(0, 20, N), "item": rng.randint(0, 30, N),
        "price": rng.rand(N).astype(np.float32)}
logit = (data["user"] % 3 == 0).astype(np.float32) + data["price"] - (data["item"] % 2)
label = (logit + 0.2 * rng.randn(N) > 0.4).astype(np.float32)

columns = [SparseFeat("user", 20, embedding_dim=4), SparseFeat("item", 30, embedding_dim=4),
           DenseFeat("price", 1)]
names = get_feature_names(columns)
tf.set_random_seed(0)
model = DeepFM(columns, columns, dnn_hidden_units=(16, 8), task="binary", seed=1)
model.compile("adam", "binary_crossentropy", metrics=["binary_crossentropy"])
inputs = {n: data[n] for n in names}
before = model.evaluate(inputs, label, batch_size=128, verbose=0)
history = model.fit(inputs, label, batch_size=64, epochs=4, verbose=0, shuffle=False)
after = model.evaluate(inputs, label, batch_size=128, verbose=0)
pred = model.predict({n: v[:16] for n, v in inputs.items()}, batch_size=16)

with open(os.environ["CORPUS_OUT"], "w") as f:
    json.dump({"loss": [float(before[0])] + [float(v) for v in history.history["loss"]]
               + [float(after[0])], "pred": np.asarray(pred).ravel().tolist()}, f)
