# %% [markdown]
# # Lesson 1 — the Sequential API: moons, Iris and four optimizers
#
# A neural network in Keras is built from **layers**, and the simplest way to stack layers is
# `keras.Sequential`: a list of layers, each feeding the next. This lesson builds the original
# module guide's first model — a small multilayer perceptron with 16, 8 and 1 units — on a
# two-class problem, then a three-class one, and finishes by training the same model with four
# different optimizers. Along the way it walks through the four verbs of every Keras workflow:
#
# - `compile` — choose *how* the model learns: the optimizer, the loss, the metrics to report;
# - `fit` — learn from training data, and return a `History` of every epoch;
# - `evaluate` — measure the trained model on data it never saw;
# - `predict` — use it: turn new inputs into outputs.
#
# **How this copy was run.** The executed notebook in `notebooks/` ran on the *quick* profile
# (`KERASLAB_PROFILE=quick`), which trains for fewer epochs than the guide's 100 so the notebook
# builds in minutes; the first code cell prints the profile and the number of epochs. Run it
# yourself with `python keras_sequential_demo.py` (the full 100 epochs) or open it in JupyterLab
# with `make lab`. The exercises for this lesson are in `exercises/keras_sequential_exercises.py`.

# %% [markdown]
# ## Setup
#
# Keras 3 runs on TensorFlow, JAX or PyTorch, and it picks one **once**, when it is first
# imported, from the `KERAS_BACKEND` environment variable. So the variable is set before
# `import keras`; here it is TensorFlow, the guide's backend. `keras.utils.set_random_seed(0)`
# seeds Python, NumPy and the backend in one call, so the random initial weights and the
# shuffling of batches are the same every time you run the notebook.

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # choose the backend before Keras is imported

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers
from sklearn.datasets import load_iris, make_moons
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
# ## Data: two moons, split three ways
#
# `make_moons` draws 1,000 points in the plane from two interleaved half-circles, with noise, and
# labels each 0 or 1. No straight line separates them, which is why we need a network with
# hidden layers rather than a linear model.
#
# We split the points three ways, 60 / 20 / 20. The **training** set is what the model learns
# from. The **validation** set is watched during training — it tells us when the model starts to
# memorise the training points instead of learning the shape — and it is what we may use to make
# choices (how many epochs, which optimizer). The **test** set is touched once, at the end, to
# report how well the final model does on data that influenced nothing. If we chose settings by
# looking at the test score, it would stop being an honest estimate. `stratify=y` keeps the two
# classes balanced in every split.

# %%
x, y = make_moons(n_samples=1000, noise=0.3, random_state=0)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
x_train, x_val, y_train, y_val = train_test_split(x_train, y_train, test_size=0.25, random_state=0, stratify=y_train)
print("train", x_train.shape, "validation", x_val.shape, "test", x_test.shape)


# %% [markdown]
# ## Model: the guide's Sequential MLP, 16 → 8 → 1
#
# `keras.Input(shape=(2,))` declares what one example looks like — two numbers — so Keras can
# create every weight right away. Each `layers.Dense(units)` connects every input to every unit:
# a weight per connection plus a bias per unit. ReLU (`max(0, x)`) in the hidden layers lets the
# network bend its decision boundary. The last layer has **one unit with a sigmoid**, which
# squeezes any number into (0, 1): the model's estimate of P(class 1). That is the standard head
# for a two-class problem.
#
# `summary()` lists the layers with their output shapes and parameter counts. Check them by hand:
# the first layer has 2 × 16 weights + 16 biases = 48, the second 16 × 8 + 8 = 136, the last
# 8 × 1 + 1 = 9, so 193 in all. We wrap the model in a function, `build_moons_model()`, because
# later we want several *fresh* copies — never a model reused across comparisons.


# %%
def build_moons_model():
    return keras.Sequential(
        [
            keras.Input(shape=(2,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(8, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )


model = build_moons_model()
model.summary()

# %% [markdown]
# ## Train: compile, then fit
#
# `compile` fixes three choices. The **optimizer** decides how the weights move after each batch
# (Adam: gradient descent with a per-weight, self-adjusting step size). The **loss** is the
# number the optimizer pushes down; for one sigmoid unit it is binary cross-entropy, which
# punishes confident wrong answers hard. The **metrics** are only reported, never optimised;
# accuracy is the one people read.
#
# `fit` then runs the training loop for you: it shuffles the training set, cuts it into batches of
# 32, and for each batch computes the loss, its gradient, and an optimizer step; one pass over all
# batches is an **epoch**. With `validation_data` it also measures the validation set after each
# epoch. It returns a `History` object whose `.history` dict holds one list per quantity —
# `loss`, `accuracy`, `val_loss`, `val_accuracy` — with one value per epoch. `verbose=0` keeps the
# notebook short; the default shows a progress bar.

# %%
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=32, verbose=0)
print("last epoch:", {k: round(v[-1], 4) for k, v in history.history.items()})

# %% [markdown]
# ## Evaluate on data the model never saw
#
# `evaluate` runs the model over the test set without changing any weight and returns the loss
# followed by each metric. This is the number to report; compare it with the last epoch's
# validation accuracy printed above — if they are close, the validation set was a fair preview.

# %%
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")

# %% [markdown]
# ## Predict: from probabilities to classes
#
# `predict` returns what the last layer outputs. With one sigmoid unit that is one number per
# point, P(class 1); to get a class, threshold it at 0.5. (A **softmax** head, as in the Iris model
# below, returns one probability per class, summing to 1, and the class is the `argmax`.) A point
# deep inside a moon gets a probability near 0 or 1; a point between the moons gets something
# near 0.5 — the model telling you it is unsure.

# %%
new_points = np.array([[0.0, 0.5], [1.0, -0.5], [2.0, 0.0]], dtype="float32")
for point, p in zip(new_points, model.predict(new_points, verbose=0).ravel()):
    print(f"point {point} -> P(class 1) = {p:.3f} -> class {int(p >= 0.5)}")

# %% [markdown]
# ## Plots: the training history and the decision boundary
#
# How to read training curves: both losses should fall. If the training loss keeps falling while
# the validation loss flattens or rises, the model has started to fit the noise of its training
# points — overfitting — and more epochs will not help. On the right, the colour is the model's
# P(class 1) over the whole plane with the test points on top: the boundary (where the colour
# crosses 0.5) should follow the gap between the moons, and the misclassified points are the ones
# on the wrong side of it.

# %%
epochs_axis = np.arange(1, len(history.history["loss"]) + 1)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
for key, label in (("loss", "training"), ("val_loss", "validation")):
    ax1.plot(epochs_axis, history.history[key], label=label)
for key, label in (("accuracy", "training"), ("val_accuracy", "validation")):
    ax2.plot(epochs_axis, history.history[key], label=label)
ax1.set(title="Loss", xlabel="epoch", ylabel="binary cross-entropy")
ax2.set(title="Accuracy", xlabel="epoch", ylabel="accuracy")
ax1.legend()
ax2.legend()
show(fig, "sequential_training_history.png")

gx, gy = np.meshgrid(np.linspace(-2, 3, 200), np.linspace(-1.5, 2, 200))
grid = np.c_[gx.ravel(), gy.ravel()].astype("float32")
p = model.predict(grid, batch_size=4096, verbose=0).reshape(gx.shape)
fig, ax = plt.subplots(figsize=(7, 5))
surface = ax.contourf(gx, gy, p, levels=20, cmap="RdBu_r", alpha=0.7)
ax.contour(gx, gy, p, levels=[0.5], colors="k", linewidths=1.5)
for label, marker in ((0, "o"), (1, "s")):
    points = x_test[y_test == label]
    ax.scatter(
        points[:, 0],
        points[:, 1],
        c="tab:blue" if label == 0 else "tab:red",
        marker=marker,
        edgecolors="k",
        s=20,
        label=f"test points, class {label}",
    )
fig.colorbar(surface, ax=ax, label="model's P(class 1)")
ax.set(
    title=f"Decision boundary (black line: P = 0.5); test accuracy {accuracy:.3f}",
    xlabel="feature 1 (x)",
    ylabel="feature 2 (y)",
)
ax.legend(loc="lower left", fontsize=8)
show(fig, "sequential_decision_boundary.png")

# %% [markdown]
# ## Three classes: Iris with a softmax head
#
# Iris has 150 flowers, 4 measurements each, and 3 species. Two things change from the moons
# model. The head becomes `Dense(3, activation="softmax")`: three outputs that are positive and
# sum to 1, one probability per species. And the loss becomes **sparse** categorical
# cross-entropy, because the labels are stored as the integers 0, 1, 2; plain
# `categorical_crossentropy` expects one-hot vectors like `[0, 1, 0]` instead. The measurements
# are standardised (mean 0, standard deviation 1 per feature) with a scaler fitted on the
# training split only, so nothing about the test flowers leaks into training.

# %%
iris = load_iris()
xi_train, xi_test, yi_train, yi_test = train_test_split(
    iris.data, iris.target, test_size=0.2, random_state=0, stratify=iris.target
)
scaler = StandardScaler().fit(xi_train)  # fit on the training split only: nothing leaks from test
xi_train, xi_test = scaler.transform(xi_train), scaler.transform(xi_test)
iris_model = keras.Sequential(
    [
        keras.Input(shape=(4,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(3, activation="softmax"),
    ]
)
iris_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
iris_model.fit(xi_train, yi_train, epochs=EPOCHS, batch_size=16, verbose=0)
print("Iris test accuracy:", round(iris_model.evaluate(xi_test, yi_test, verbose=0)[1], 4))
print("probabilities for the first test flower:", iris_model.predict(xi_test[:1], verbose=0).round(3))

# %% [markdown]
# With only 30 test flowers, one flower is worth 3.3 points of accuracy, so do not read much into
# small differences here. The printed probabilities show what `predict` returns for a softmax
# head: three numbers that sum to 1.
#
# ## Four optimizers on the same model
#
# The guide compares SGD, Adam, RMSprop and Adagrad. A fair comparison changes **one** thing: each
# optimizer gets a fresh model with the *same* initial weights (the seed is reset before each
# build), the same data, the same epochs and batch size. Each uses Keras' default learning rate,
# as the guide does.

# %%
curves, test_accuracy = {}, {}
for name in ("sgd", "adam", "rmsprop", "adagrad"):
    keras.utils.set_random_seed(0)  # the same initial weights for every optimizer
    m = build_moons_model()
    m.compile(optimizer=name, loss="binary_crossentropy", metrics=["accuracy"])  # Keras' default learning rates
    h = m.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=32, verbose=0)
    curves[name] = h.history["val_accuracy"]
    test_accuracy[name] = m.evaluate(x_test, y_test, verbose=0)[1]
    print(f"{name:8s} learning rate {float(m.optimizer.learning_rate):g}, test accuracy {test_accuracy[name]:.4f}")

# %% [markdown]
# The figure shows each optimizer's validation accuracy per epoch and its final test accuracy.

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
for name, curve in curves.items():
    ax1.plot(np.arange(1, len(curve) + 1), curve, label=name)
ax1.set(title="Validation accuracy per optimizer", xlabel="epoch", ylabel="validation accuracy")
ax1.legend()
bars = ax2.bar(
    list(test_accuracy), list(test_accuracy.values()), color=["tab:blue", "tab:orange", "tab:green", "tab:red"]
)
ax2.bar_label(bars, fmt="%.3f")
ax2.set(title="Test accuracy (one seed; y axis starts at 0.5, chance level)", ylabel="test accuracy", ylim=(0.5, 1.0))
show(fig, "sequential_optimizer_comparison.png")

# %% [markdown]
# ### Why Adagrad crawls
#
# If Adagrad's curve sits far below the others, the seed is not to blame: its **learning rate**
# is. All four run at Keras' default of 0.001 (printed above). Adam and RMSprop rescale every step
# by a running average of recent gradient sizes, so their effective steps stay useful. Adagrad
# divides by the square root of the *sum of all squared gradients so far*, which only grows; at a
# small base rate its steps are tiny from the start and keep shrinking, so within this budget it
# barely leaves its initial weights. Plain SGD has no rescaling at all, so its progress rests on
# that one rate alone. An optimizer is a pair — an update rule *and* a learning rate — and comparing rules at one
# shared default rate mostly compares how well each default suits the problem. Try it: rebuild the
# model with `optimizer=keras.optimizers.Adagrad(learning_rate=0.1)` and watch it catch up
# (exercise 4 asks you to do exactly that).
#
# ## What one run can and cannot tell you
#
# One seed decides nothing: with a different seed the ranking above can change. The measured
# version of this comparison — several seeds, 95% intervals, and each optimizer's learning rate
# tuned on the validation set (never the test set) — is `keraslab run sequential` followed by
# `keraslab report`, which also checks the guide's optimizer table claim by claim. Set
# `KERASLAB_MEASURE=1` to run it from here.

# %%
if os.environ.get("KERASLAB_MEASURE"):
    import subprocess

    subprocess.run(
        ["keraslab", "run", "sequential", "--profile", os.environ.get("KERASLAB_PROFILE", "standard")], check=True
    )
    subprocess.run(["keraslab", "report"], check=True)
