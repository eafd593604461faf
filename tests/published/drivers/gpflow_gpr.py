"""gpflow 1.5.1: GP regression (RBF + Linear kernel, GPR model) trained by gpflow's
AdamOptimizer and ScipyOptimizer, then predict_f / predict_y (after gpflow's
regression notebook)."""
import json
import os

import gpflow
import numpy as np

rng = np.random.RandomState(3)
X = rng.rand(40, 1) * 6
Y = np.sin(X) + 0.1 * rng.randn(40, 1)
Xtest = np.linspace(0, 6, 25)[:, None]

with gpflow.defer_build():
    kernel = gpflow.kernels.RBF(1) + gpflow.kernels.Linear(1)
    model = gpflow.models.GPR(X, Y, kern=kernel)
    model.likelihood.variance = 0.5
model.compile()

objective = [float(model.compute_log_likelihood())]
adam = gpflow.train.AdamOptimizer(0.05)
for _ in range(4):
    adam.minimize(model, maxiter=25)
    objective.append(float(model.compute_log_likelihood()))
scipy_model = gpflow.models.GPR(X, Y, kern=gpflow.kernels.RBF(1))
before_scipy = float(scipy_model.compute_log_likelihood())
gpflow.train.ScipyOptimizer().minimize(scipy_model, maxiter=50)
after_scipy = float(scipy_model.compute_log_likelihood())
mean, var = model.predict_f(Xtest)
ymean, yvar = scipy_model.predict_y(Xtest)

with open(os.environ["CORPUS_OUT"], "w") as f:
    json.dump({"neg_log_likelihood": [-v for v in objective],
               "scipy": [-before_scipy, -after_scipy],
               "mean": mean.ravel().tolist(), "var": var.ravel().tolist(),
               "ymean": ymean.ravel().tolist(), "yvar": yvar.ravel().tolist(),
               "params": {k: np.asarray(v).ravel().tolist()
                          for k, v in model.read_trainables().items()}}, f)
