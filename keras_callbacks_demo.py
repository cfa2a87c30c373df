# %% [markdown]
# # Keras callbacks: stop early, keep the best, adapt the learning rate, time each epoch
#
# What this shows: the original module guide's callback strategy —
# `EarlyStopping(patience=10, restore_best_weights=True)`, `ModelCheckpoint("best_model.keras",
# save_best_only=True)`, `ReduceLROnPlateau(factor=0.2, patience=5)`, a `LearningRateScheduler` —
# and its custom `TrainingTimeCallback`, written here in full. A callback is an object whose
# `on_epoch_begin` / `on_epoch_end` / ... methods `fit` calls at those moments.
#
# Run it: `python keras_callbacks_demo.py`, or open it as a notebook.

# %% Setup
import os
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # choose the backend before Keras is imported

import keras
import matplotlib.pyplot as plt
from keras import layers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

PROFILE = os.environ.get("KERASLAB_PROFILE", "standard")  # quick: the executed notebooks; smoke: the tests
EPOCHS = 10 if PROFILE == "smoke" else 100
os.makedirs("plots", exist_ok=True)


def show(fig, name):
    """Inline in a notebook; saved to plots/ from a terminal."""
    fig.savefig(f"plots/{name}", dpi=110, bbox_inches="tight")
    plt.show()


# %% Data: scikit-learn's 8x8 handwritten digits (bundled, no download), 60 / 20 / 20
digits = load_digits()
x, y = (digits.data / 16.0).astype("float32"), digits.target
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
x_train, x_val, y_train, y_val = train_test_split(x_train, y_train, test_size=0.25, random_state=0, stratify=y_train)
print("train", x_train.shape, "validation", x_val.shape, "test", x_test.shape)


# %% Model: a small MLP, rebuilt fresh for each run
def build_model():
    return keras.Sequential(
        [
            keras.Input(shape=(64,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ],
        name="digits_mlp",
    )


# %% A custom callback: the guide's TrainingTimeCallback
class TrainingTimeCallback(keras.callbacks.Callback):
    """Times every epoch; `epoch_times` holds the seconds of the latest `fit`."""

    def on_train_begin(self, logs=None):
        self.epoch_times = []  # reset, so the callback can be reused for another fit

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start_time = time.time()

    def on_epoch_end(self, epoch, logs=None):
        epoch_time = time.time() - self.epoch_start_time
        self.epoch_times.append(epoch_time)
        if epoch % 10 == 0:
            print(f"Epoch {epoch}: {epoch_time:.3f}s")


# %% Train: the guide's callback strategy
folder = tempfile.mkdtemp(prefix="keras-callbacks-")
keras.utils.set_random_seed(0)
model = build_model()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
timer = TrainingTimeCallback()
callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True),
    keras.callbacks.ModelCheckpoint(os.path.join(folder, "best_model.keras"), monitor="val_loss", save_best_only=True),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5, min_lr=1e-5),
    timer,
]
history = model.fit(
    x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=32, callbacks=callbacks, verbose=0
)
print(f"ran {len(history.history['loss'])} of {EPOCHS} epochs in {sum(timer.epoch_times):.1f}s")

# %% Evaluate: the restored best weights, and the checkpoint reloaded from disk
print("test accuracy, restored best weights:", round(model.evaluate(x_test, y_test, verbose=0)[1], 4))
best = keras.models.load_model(os.path.join(folder, "best_model.keras"), safe_mode=True)
print("test accuracy, best_model.keras:     ", round(best.evaluate(x_test, y_test, verbose=0)[1], 4))

# %% The same budget without callbacks, for comparison (same seed: the same initial weights)
keras.utils.set_random_seed(0)
plain = build_model()
plain.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
plain_history = plain.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=32, verbose=0)
print("test accuracy, no callbacks:         ", round(plain.evaluate(x_test, y_test, verbose=0)[1], 4))


# %% A LearningRateScheduler: halve the learning rate every 10 epochs
def step_schedule(epoch, lr):
    return 0.001 * 0.5 ** (epoch // 10)


keras.utils.set_random_seed(0)
scheduled = build_model()
scheduled.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
sched_history = scheduled.fit(
    x_train,
    y_train,
    validation_data=(x_val, y_val),
    epochs=min(EPOCHS, 30),
    batch_size=32,
    callbacks=[keras.callbacks.LearningRateScheduler(step_schedule)],
    verbose=0,
)

# %% Plots: validation loss with and without callbacks, the learning rates, seconds per epoch
fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4))
ax1.plot(plain_history.history["val_loss"], label="no callbacks")
ax1.plot(history.history["val_loss"], label="EarlyStopping + ReduceLROnPlateau")
ax1.set(title="Validation loss", xlabel="epoch")
ax1.legend()
ax2.plot(history.history["learning_rate"], label="ReduceLROnPlateau")
ax2.plot(sched_history.history["learning_rate"], label="LearningRateScheduler")
ax2.set(title="Learning rate", xlabel="epoch", yscale="log")
ax2.legend()
ax3.plot(timer.epoch_times)
ax3.set(title="TrainingTimeCallback: seconds per epoch", xlabel="epoch")
show(fig, "callbacks_effectiveness.png")

# %% [markdown]
# One run shows how callbacks work, not whether they help. `keraslab run callbacks` repeats the
# three setups over seeds on the guide's 100-epoch budget and `keraslab report` judges the guide's
# callback table with 95% intervals (set `KERASLAB_MEASURE=1` to run it here).

# %% Optional: the measured experiment over seeds, with the report
if os.environ.get("KERASLAB_MEASURE"):
    import subprocess

    subprocess.run(
        ["keraslab", "run", "callbacks", "--profile", os.environ.get("KERASLAB_PROFILE", "standard")], check=True
    )
    subprocess.run(["keraslab", "report"], check=True)
