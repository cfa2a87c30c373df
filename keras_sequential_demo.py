# %% [markdown]
# # Keras Sequential API: moons, Iris and four optimizers
#
# What this shows: the `keras.Sequential` API on a binary task (make_moons, the 16-8-1 MLP of the
# original module guide) and a multiclass task (Iris), `compile` / `fit` / `evaluate` / `predict`,
# and SGD vs Adam vs RMSprop vs Adagrad on the same model and data over several seeds.
#
# Run it: `python keras_sequential_demo.py [--profile quick|standard|full] [--backend ...]`.
# It opens as a notebook too (Jupytext "py:percent" cells). The heavy lifting lives in the
# `keraslab` package; this script is the readable tour.

# %% Setup
from keraslab.demo import setup

args = setup("Keras Sequential API: moons, Iris and four optimizers")  # --profile, --backend, --out; picks the backend before Keras loads

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keraslab import data, plots  # noqa: E402
from keraslab.cli import plots_dir_for  # noqa: E402
from keraslab.experiments import execute  # noqa: E402
from keraslab.experiments.sequential import Config  # noqa: E402
from keraslab.models.sequential import build_moons_mlp  # noqa: E402
from keraslab.store import RunStore  # noqa: E402

print("Keras", keras.__version__, "on", keras.backend.backend())

# %% Data: make_moons, split train / validation / test by seed
(x_train, y_train), (x_val, y_val), (x_test, y_test) = data.moons(n_samples=1000, noise=0.3, seed=0)
print("train", x_train.shape, "validation", x_val.shape, "test", x_test.shape)

# %% Model: the guide's Sequential MLP
keras.utils.set_random_seed(0)
model = build_moons_mlp()  # Dense(16, relu) -> Dense(8, relu) -> Dense(1, sigmoid)
model.summary()

# %% Train: compile picks the optimizer, the loss and the metrics
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=30, batch_size=32, verbose=0)
print("last epoch:", {k: round(v[-1], 4) for k, v in history.history.items()})

# %% Evaluate on data the model never saw
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")

# %% Predict: outputs are probabilities of class 1; threshold at 0.5 for a class
new_points = np.array([[0.0, 0.5], [1.0, -0.5], [2.0, 0.0]], dtype="float32")
probabilities = model.predict(new_points, verbose=0).ravel()
for point, p in zip(new_points, probabilities):
    print(f"point {point} -> P(class 1) = {p:.3f} -> class {int(p >= 0.5)}")

# %% The whole experiment, measured and stored: moons, Iris, and the optimizer comparison
store = RunStore(args.out)
run_path = execute("sequential", Config.for_profile(args.profile), store)

# %% Plots, drawn from the stored run (never from training)
for path in plots.render(store, plots_dir_for(args.out), experiments=["sequential"]):
    print("wrote", path)
