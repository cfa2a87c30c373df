# %% [markdown]
# # Keras Functional API: branches, skip connections, two inputs and two outputs, subclassing
#
# What this shows: models built as `keras.Input` -> layers -> `keras.Model(inputs, outputs)` —
# a simple network, the original module guide's branching model (`Concatenate`), a residual
# model (`Add`), a model with two named inputs and an auxiliary output weighted with
# `loss_weights`, and a subclassed `keras.Model`. Then the same network written with the
# Sequential and the Functional API, shown to be the same function on the same weights.
#
# Run it: `python keras_functional_demo.py`, or open it as a notebook.

# %% Setup
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # choose the backend before Keras is imported

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

PROFILE = os.environ.get("KERASLAB_PROFILE", "standard")  # quick: the executed notebooks; smoke: the tests
EPOCHS = {"smoke": 5, "quick": 60}.get(PROFILE, 100)
os.makedirs("plots", exist_ok=True)


def show(fig, name):
    """Inline in a notebook; saved to plots/ from a terminal."""
    fig.savefig(f"plots/{name}", dpi=110, bbox_inches="tight")
    plt.show()


keras.utils.set_random_seed(0)

# %% Data: Iris, 4 standardized features, 3 species
iris = load_iris()
x_train, x_test, y_train, y_test = train_test_split(
    iris.data.astype("float32"), iris.target, test_size=0.2, random_state=0, stratify=iris.target
)
scaler = StandardScaler().fit(x_train)  # fit on the training split only
x_train, x_test = scaler.transform(x_train).astype("float32"), scaler.transform(x_test).astype("float32")
print("train", x_train.shape, "test", x_test.shape)


# %% Model: simple, branching and residual, each a function of an Input
def build_simple():
    inputs = keras.Input(shape=(4,), name="features")
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.Dense(16, activation="relu")(x)
    outputs = layers.Dense(3, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="simple")


def build_branching():
    inputs = keras.Input(shape=(4,), name="features")
    branch1 = layers.Dense(32, activation="relu", name="relu_branch")(inputs)
    branch2 = layers.Dense(24, activation="tanh", name="tanh_branch")(inputs)
    merged = layers.Concatenate()([branch1, branch2])  # two paths joined side by side
    outputs = layers.Dense(3, activation="softmax")(merged)
    return keras.Model(inputs, outputs, name="branching")


def build_residual():
    inputs = keras.Input(shape=(4,), name="features")
    x = layers.Dense(32, activation="relu")(inputs)
    for i in range(2):
        h = layers.Dense(32, activation="relu", name=f"block{i}_dense1")(x)
        h = layers.Dense(32, name=f"block{i}_dense2")(h)
        x = layers.Activation("relu")(layers.Add(name=f"block{i}_skip")([x, h]))  # the skip connection
    outputs = layers.Dense(3, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="residual")


build_branching().summary()

# %% Train and Evaluate each architecture (a fresh model each, the same seed); Plots: their validation curves
histories, test_accuracy = {}, {}
for build in (build_simple, build_branching, build_residual):
    keras.utils.set_random_seed(0)
    model = build()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x_train, y_train, validation_split=0.2, epochs=EPOCHS, batch_size=16, verbose=0)
    histories[model.name] = h.history
    test_accuracy[model.name] = model.evaluate(x_test, y_test, verbose=0)[1]
    print(f"{model.name:10s} {model.count_params():5d} parameters, test accuracy {test_accuracy[model.name]:.4f}")

fig, ax = plt.subplots(figsize=(7, 4))
for name, h in histories.items():
    ax.plot(h["val_accuracy"], label=f"{name} (test {test_accuracy[name]:.3f})")
ax.set(title="Validation accuracy on Iris (30 test flowers: one flower = 3.3 points)", xlabel="epoch")
ax.legend()
show(fig, "functional_models_comparison.png")

# %% Two inputs, two outputs: sepal and petal measurements; an auxiliary head on the sepal branch
sepal = keras.Input(shape=(2,), name="sepal")
petal = keras.Input(shape=(2,), name="petal")
s = layers.Dense(16, activation="relu", name="sepal_dense")(sepal)
p = layers.Dense(16, activation="relu", name="petal_dense")(petal)
aux = layers.Dense(3, activation="softmax", name="aux")(s)
h = layers.Dense(16, activation="relu")(layers.Concatenate()([s, p]))
main = layers.Dense(3, activation="softmax", name="main")(h)
multi_io = keras.Model(inputs={"sepal": sepal, "petal": petal}, outputs={"main": main, "aux": aux}, name="multi_io")

multi_io.compile(
    optimizer="adam",
    loss={"main": "sparse_categorical_crossentropy", "aux": "sparse_categorical_crossentropy"},
    loss_weights={"main": 1.0, "aux": 0.2},  # the auxiliary loss shapes, the main loss decides
    metrics={"main": ["accuracy"], "aux": ["accuracy"]},
)
as_inputs = lambda x: {"sepal": x[:, :2], "petal": x[:, 2:]}  # noqa: E731
multi_io.fit(as_inputs(x_train), {"main": y_train, "aux": y_train}, epochs=EPOCHS, batch_size=16, verbose=0)
print(multi_io.evaluate(as_inputs(x_test), {"main": y_test, "aux": y_test}, verbose=0, return_dict=True))

try:  # needs Graphviz and pydot; the summary says the same in text
    keras.utils.plot_model(multi_io, to_file="plots/architecture_multi_io.png", show_shapes=True, dpi=70)
    from IPython.display import Image, display

    display(Image("plots/architecture_multi_io.png"))
except (ImportError, OSError):
    multi_io.summary()


# %% Subclassing: the layers in __init__, the forward pass in call
@keras.saving.register_keras_serializable(package="demo")  # lets a saved .keras file load back
class CustomModel(keras.Model):
    def __init__(self, hidden=64, n_classes=3, **kwargs):
        super().__init__(**kwargs)
        self.hidden, self.n_classes = hidden, n_classes
        self.dense1 = layers.Dense(hidden, activation="relu")
        self.dense2 = layers.Dense(n_classes, activation="softmax")

    def call(self, inputs):
        x = self.dense1(inputs)
        return self.dense2(x)

    def get_config(self):  # what saving needs to rebuild it
        return {**super().get_config(), "hidden": self.hidden, "n_classes": self.n_classes}


custom = CustomModel(name="custom_model")
custom.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
custom.fit(x_train, y_train, epochs=EPOCHS, batch_size=16, verbose=0)
print("subclassed model test accuracy:", round(custom.evaluate(x_test, y_test, verbose=0)[1], 4))

# %% Sequential vs Functional: the same network, the same weights, the same outputs
sequential = keras.Sequential(
    [
        keras.Input(shape=(2,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(8, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ]
)
inputs = keras.Input(shape=(2,))
x = layers.Dense(16, activation="relu")(inputs)
x = layers.Dense(8, activation="relu")(x)
functional = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
functional.set_weights(sequential.get_weights())
probe = np.random.default_rng(0).normal(size=(256, 2)).astype("float32")
diff = np.abs(sequential.predict(probe, verbose=0) - functional.predict(probe, verbose=0)).max()
print(f"largest difference between the two APIs' predictions: {diff:.2e}")

# %% [markdown]
# On 30 test flowers one flower moves accuracy by 3.3 points, so one seed cannot rank these
# architectures. `keraslab run functional` repeats them over seeds and `keraslab report` judges
# the guide's claims with 95% intervals (set `KERASLAB_MEASURE=1` to run it here).

# %% Optional: the measured experiment over seeds, with the report
if os.environ.get("KERASLAB_MEASURE"):
    import subprocess

    subprocess.run(
        ["keraslab", "run", "functional", "--profile", os.environ.get("KERASLAB_PROFILE", "standard")], check=True
    )
    subprocess.run(["keraslab", "report"], check=True)
