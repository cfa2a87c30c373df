# %% [markdown]
# # A CNN on MNIST above 97%
#
# What this shows: the original module guide's Simple CNN (Conv2D -> MaxPooling2D -> ... ->
# Dense, 93,322 parameters) and its Improved CNN (BatchNormalization and Dropout), trained on the
# real MNIST digits, evaluated on the 10,000 test images, and examined: confusion matrix,
# per-digit accuracy, and the digits it gets wrong.
#
# Run it: `python keras_cnn_mnist.py`, or open it as a notebook.

# %% Setup
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # choose the backend before Keras is imported

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers

from keraslab.data import load_mnist  # = keras.datasets.mnist.load_data(), verified and cached for offline use

PROFILE = os.environ.get("KERASLAB_PROFILE", "standard")  # quick: the executed notebooks; smoke: the tests
EPOCHS = {"smoke": 1, "quick": 2}.get(PROFILE, 5)
N_TRAIN = 2000 if PROFILE == "smoke" else 60_000  # the smoke test trains on a sliver
os.makedirs("plots", exist_ok=True)


def show(fig, name):
    """Inline in a notebook; saved to plots/ from a terminal."""
    fig.savefig(f"plots/{name}", dpi=110, bbox_inches="tight")
    plt.show()


keras.utils.set_random_seed(0)

# %% Data: 28x28 grey images scaled to [0, 1], with a channel axis for Conv2D
(x_train, y_train), (x_test, y_test) = load_mnist()
x_train = (x_train.astype("float32") / 255.0)[..., None]
x_test = (x_test.astype("float32") / 255.0)[..., None]
x_train, y_train = x_train[:N_TRAIN], y_train[:N_TRAIN]
print("train", x_train.shape, "test", x_test.shape)

# %% Model: the Simple CNN
simple_cnn = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ],
    name="simple_cnn",
)
simple_cnn.summary()

# %% Model: the Improved CNN, exactly as the guide lists it
improved_cnn = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.BatchNormalization(),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Dropout(0.25),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.BatchNormalization(),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(512, activation="relu"),
        layers.BatchNormalization(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ],
    name="improved_cnn",
)
print(f"Improved CNN: {improved_cnn.count_params():,} parameters")

# %% Train both on the same budget (integer labels: sparse categorical cross-entropy)
histories = {}
for model in (simple_cnn, improved_cnn):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    histories[model.name] = model.fit(
        x_train, y_train, validation_split=0.1, epochs=EPOCHS, batch_size=128, verbose=2
    ).history

# %% Evaluate on the 10,000 test images
for model in (simple_cnn, improved_cnn):
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"{model.name:13s} test accuracy {accuracy:.4f} ({'above' if accuracy > 0.97 else 'below'} 97%)")

# %% Plots: training curves, confusion matrix, per-digit accuracy, mistakes (Simple CNN)
fig, ax = plt.subplots(figsize=(7, 4))
for name, h in histories.items():
    ax.plot(h["val_accuracy"], marker="o", label=name)
ax.set(title="Validation accuracy", xlabel="epoch")
ax.legend()
show(fig, "cnn_training_comparison.png")

probabilities = simple_cnn.predict(x_test, batch_size=1000, verbose=0)
predicted = probabilities.argmax(axis=1)
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y_test, predicted), 1)
per_digit = confusion.diagonal() / confusion.sum(axis=1)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5))
ax1.imshow(confusion, cmap="Blues")
for i in range(10):
    for j in range(10):
        ax1.text(
            j,
            i,
            confusion[i, j],
            ha="center",
            va="center",
            fontsize=7,
            color="white" if confusion[i, j] > confusion.max() / 2 else "black",
        )
ax1.set(
    title="Confusion matrix (rows: true digit)", xlabel="predicted", ylabel="true", xticks=range(10), yticks=range(10)
)
ax2.bar(range(10), per_digit)
ax2.set(title="Per-digit accuracy", xlabel="digit", ylim=(per_digit.min() - 0.02, 1.0), xticks=range(10))
show(fig, "confusion_matrix.png")

wrong = np.flatnonzero(predicted != y_test)[:10]
fig, axes = plt.subplots(1, len(wrong), figsize=(1.6 * len(wrong), 2))
for ax, i in zip(np.atleast_1d(axes), wrong):
    ax.imshow(x_test[i, ..., 0], cmap="gray")
    ax.set_title(f"{y_test[i]}→{predicted[i]} ({probabilities[i].max():.2f})", fontsize=8)
    ax.axis("off")
fig.suptitle("Misclassified: true → predicted (confidence)")
show(fig, "cnn_misclassified.png")

# %% [markdown]
# The guide's CNN table, its confusion and per-digit claims, measured over seeds on the full
# training set with 95% intervals: `keraslab run cnn` then `keraslab report` (set
# `KERASLAB_MEASURE=1` to run it here).

# %% Optional: the measured experiment over seeds, with the report
if os.environ.get("KERASLAB_MEASURE"):
    import subprocess

    subprocess.run(["keraslab", "run", "cnn", "--profile", os.environ.get("KERASLAB_PROFILE", "standard")], check=True)
    subprocess.run(["keraslab", "report"], check=True)
