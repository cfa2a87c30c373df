# %% [markdown]
# # Lesson 2 — the Functional API: branches, skip connections, two inputs and two outputs, subclassing
#
# `keras.Sequential` covers models that are one straight chain of layers. Many useful models are
# not: they split into branches and join again, add a layer's input back to its output (a *skip*
# or *residual* connection), take several inputs, or produce several outputs. The **Functional
# API** builds those. Its idea is small: a layer is a function you *call on a tensor*, and a model
# is defined by its input tensors and its output tensors,
#
# ```python
# inputs = keras.Input(shape=(4,))
# x = layers.Dense(32, activation="relu")(inputs)   # call the layer on a tensor, get a tensor
# outputs = layers.Dense(3, activation="softmax")(x)
# model = keras.Model(inputs, outputs)               # everything between them is the model
# ```
#
# Keras records which layer produced which tensor, so `keras.Model(inputs, outputs)` can trace
# the graph of layers between them. This lesson builds the original module guide's branching
# model, a residual model, a model with two named inputs and an auxiliary output weighted with
# `loss_weights`, and a subclassed `keras.Model`; it ends by showing that a Sequential and a
# Functional model with the same layers are the same function.
#
# **How this copy was run.** The executed notebook in `notebooks/` ran on the *quick* profile
# (`KERASLAB_PROFILE=quick`); the first code cell prints the number of epochs it used (the guide
# trains for 100). Run it yourself with `python keras_functional_demo.py` or in JupyterLab
# (`make lab`); the exercises are in `exercises/keras_functional_exercises.py`.

# %% [markdown]
# ## Setup
#
# As in every lesson, the backend is chosen before Keras is imported, and one call seeds every
# random number generator involved.

# %%
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


print("Keras", keras.__version__, "on", keras.backend.backend(), f"| profile {PROFILE}: {EPOCHS} epochs per model")
keras.utils.set_random_seed(0)

# %% [markdown]
# ## Data: Iris, 4 standardized features, 3 species
#
# 150 flowers: 120 for training (of which `fit` will hold out a fifth, 24 flowers, for
# validation) and 30 for the final test. The scaler that standardises each measurement is fitted
# on the training flowers only. The first two columns are the sepal's length and width, the last
# two the petal's; the two-input model below uses that split.

# %%
iris = load_iris()
x_train, x_test, y_train, y_test = train_test_split(
    iris.data.astype("float32"), iris.target, test_size=0.2, random_state=0, stratify=iris.target
)
scaler = StandardScaler().fit(x_train)  # fit on the training split only
x_train, x_test = scaler.transform(x_train).astype("float32"), scaler.transform(x_test).astype("float32")
print("train", x_train.shape, "test", x_test.shape)


# %% [markdown]
# ## Model: simple, branching and residual, each a function of an Input
#
# Three architectures, each built by a function so that every comparison gets a fresh model:
#
# - **simple** — a straight chain, exactly what `Sequential` could build;
# - **branching** — the guide's model: the same input feeds two different `Dense` layers side by
#   side (one ReLU, one tanh), and `layers.Concatenate()` joins their outputs into one longer
#   vector, so the output layer sees both views of the input at once;
# - **residual** — two blocks whose output is `relu(x + f(x))`: `layers.Add()` adds the block's
#   input back to what its layers computed. The skip gives gradients a direct path backwards,
#   the trick that lets very deep networks (ResNets) train at all.
#
# Naming layers (`name="relu_branch"`) costs nothing and makes `summary()` and diagrams readable.
# The summary of the branching model shows the branching in its "Connected to" column.


# %%
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

# %% [markdown]
# ## Train and evaluate each architecture
#
# Functional models compile, fit and evaluate exactly like Sequential ones: the API for *building*
# changed, not the one for *training*. Each model gets the same seed, so their initial weights are
# drawn the same way, and `validation_split=0.2` holds out the last fifth of the training arrays
# (the 24 flowers mentioned above) to watch during training.

# %%
histories, test_accuracy = {}, {}
for build in (build_simple, build_branching, build_residual):
    keras.utils.set_random_seed(0)
    model = build()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x_train, y_train, validation_split=0.2, epochs=EPOCHS, batch_size=16, verbose=0)
    histories[model.name] = h.history
    test_accuracy[model.name] = model.evaluate(x_test, y_test, verbose=0)[1]
    print(f"{model.name:10s} {model.count_params():5d} parameters, test accuracy {test_accuracy[model.name]:.4f}")

# %% [markdown]
# ## Plots: validation curves
#
# Each curve is a model's accuracy on the 24 validation flowers after each epoch; the legend adds
# its accuracy on the 30 test flowers. With so few flowers every step of a curve is one flower
# (about 4 points on 24), so the curves are jagged and close; Iris is too easy to separate these
# architectures. Their differences matter on harder data; here the lesson is how to build them.

# %%
fig, ax = plt.subplots(figsize=(8, 4))
for name, h in histories.items():
    ax.plot(
        np.arange(1, len(h["val_accuracy"]) + 1), h["val_accuracy"], label=f"{name} (test {test_accuracy[name]:.3f})"
    )
ax.set(
    title="Validation accuracy on Iris (24 validation flowers: one flower = 4.2 points)",
    xlabel="epoch",
    ylabel="validation accuracy",
)
ax.legend(title="model (accuracy on 30 test flowers)")
show(fig, "functional_models_comparison.png")

# %% [markdown]
# ## Two inputs, two outputs, and loss_weights
#
# Now a model `Sequential` cannot express at all. It takes the sepal measurements and the petal
# measurements as two separate, *named* inputs, processes each in its own branch, joins them for
# the main prediction, and adds an **auxiliary output** that predicts the species from the sepal
# branch alone.
#
# Why an auxiliary head? Its loss sends a training signal straight into the sepal branch, which
# otherwise learns only through the joined layers; in deep networks such side heads help the
# early layers learn. But we care about the *main* output, so when Keras adds the two losses we
# weight them: `loss_weights={"main": 1.0, "aux": 0.2}` means the total loss is
# `1.0 × main_loss + 0.2 × aux_loss`. With equal weights the auxiliary task would pull the shared
# layers as hard as the real one. Inputs, outputs, losses and metrics are all dicts keyed by name,
# so nothing depends on remembering an order.

# %%
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

# %% [markdown]
# In the evaluation above, `loss` is the weighted total, and each output has its own loss and
# accuracy. Compare the two heads' accuracies: the auxiliary head sees only the sepals, and
# sepals alone separate the three species less well than sepals and petals together (it is
# mostly the petals that tell them apart) — one more reason not to let its loss count fully.
# The diagram below (drawn by `keras.utils.plot_model`, which needs Graphviz; without it the text
# summary is shown) makes the two inputs and two outputs visible.

# %%
try:  # needs Graphviz and pydot; the summary says the same in text
    keras.utils.plot_model(multi_io, to_file="plots/architecture_multi_io.png", show_shapes=True, dpi=70)
    from IPython.display import Image, display

    display(Image("plots/architecture_multi_io.png"))
except (ImportError, OSError):
    multi_io.summary()


# %% [markdown]
# ## Subclassing: layers made in the constructor, used in call()
#
# The third way to define a model is to write a class. Create the layers in `__init__` (so their
# weights are created once and tracked), and say how they are applied in `call`. This is the most
# flexible style — `call` is ordinary Python, so it can loop, branch on a flag, or behave
# differently in training and inference — and it is how PyTorch defines every model (lesson 5).
# The price: Keras cannot see the structure until the model is called, so `summary()` knows less
# and saving needs `get_config` to rebuild the object. `register_keras_serializable` lets a saved
# `.keras` file find the class again.


# %%
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

# %% [markdown]
# ## Sequential vs Functional: the same network, the same weights, the same outputs
#
# Is the Functional API a different kind of model, or only a different way to write one down? We
# build the moons MLP of lesson 1 both ways, copy the weights of one into the other with
# `get_weights` / `set_weights` (possible because the weights have the same shapes in the same
# order), and compare their predictions on 256 random points. The printed difference should be
# zero or at the level of float32 rounding: the two APIs build the same computation.

# %%
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
# ## Which API when?
#
# Use `Sequential` for a plain stack: it is the shortest to read. Use the Functional API as soon
# as the graph is not a chain — branches, skips, several inputs or outputs, shared layers — or
# when you want Keras to check shapes as you build and draw the model for you. Subclass
# `keras.Model` when the forward pass needs Python control flow. All three train with the same
# `compile` / `fit` / `evaluate` / `predict`.
#
# On 30 test flowers one flower moves accuracy by 3.3 points, so one seed cannot rank these
# architectures. `keraslab run functional` repeats them over seeds and `keraslab report` judges
# the guide's claims with 95% intervals; set `KERASLAB_MEASURE=1` to run it from here. The
# exercises ask you to build the branching model, the two-input two-output model and a subclassed
# model yourself, and check each one.

# %%
if os.environ.get("KERASLAB_MEASURE"):
    import subprocess

    subprocess.run(
        ["keraslab", "run", "functional", "--profile", os.environ.get("KERASLAB_PROFILE", "standard")], check=True
    )
    subprocess.run(["keraslab", "report"], check=True)
