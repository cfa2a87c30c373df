# %% [markdown]
# # Keras Functional API and subclassing
#
# What this shows: models as graphs of layers — a branching model (relu and tanh paths merged
# with `Concatenate`), a residual model (`Add` skip connections), a model with two named inputs
# and an auxiliary output (`loss_weights`), a subclassed `keras.Model`, and proof that the
# Sequential and Functional APIs build the same function.
#
# Run it: `python keras_functional_demo.py [--profile quick|standard|full] [--backend ...]`.

# %% Setup
from keraslab.demo import setup

args = setup("Keras Functional API and subclassing")  # --profile, --backend, --out; picks the backend before Keras loads

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keraslab import data, plots  # noqa: E402
from keraslab.cli import plots_dir_for  # noqa: E402
from keraslab.experiments import execute  # noqa: E402
from keraslab.experiments.functional import Config  # noqa: E402
from keraslab.models import functional  # noqa: E402
from keraslab.models.sequential import build_moons_mlp  # noqa: E402
from keraslab.store import RunStore  # noqa: E402

# %% Data: Iris, standardized with a scaler fit on the training split only
(x_train, y_train), (x_val, y_val), (x_test, y_test) = data.iris(seed=0)

# %% Model: the guide's branching architecture
keras.utils.set_random_seed(0)
model = functional.build_branching()
model.summary()

# %% Train
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=50, batch_size=16, verbose=0)

# %% Evaluate on the held-out flowers
print("branching model test accuracy:", round(model.evaluate(x_test, y_test, verbose=0)[1], 4))

# %% Same architecture, two APIs, same weights -> same outputs
sequential_model = build_moons_mlp()
functional_model = functional.functional_twin_of_moons_mlp()
functional_model.set_weights(sequential_model.get_weights())
x = np.random.default_rng(0).normal(size=(100, 2)).astype("float32")
gap = np.abs(sequential_model.predict(x, verbose=0) - functional_model.predict(x, verbose=0)).max()
print(f"largest prediction difference Sequential vs Functional: {gap:.2e}")

# %% The whole experiment: three architectures over seeds, multi-input/output, subclassing
store = RunStore(args.out)
execute("functional", Config.for_profile(args.profile), store)

# %% Plots and architecture diagrams, from the stored run
for path in plots.render(store, plots_dir_for(args.out), experiments=["functional"]):
    print("wrote", path)
