# %% [markdown]
# # Keras callbacks: stop early, keep the best, adapt the learning rate, survive a crash
#
# What this shows: the original module guide's "Callback Strategy" —
# `EarlyStopping(patience=10, restore_best_weights=True)`, `ModelCheckpoint('best_model.keras',
# save_best_only=True)`, `ReduceLROnPlateau(factor=0.2, patience=5)` — plus the custom
# `TrainingTimeCallback`, and then the measured effectiveness of the callbacks over seeds.
#
# Run it: `python keras_callbacks_demo.py [--profile quick|standard|full] [--backend ...]`.

# %% Setup
import tempfile
from pathlib import Path

from keraslab.demo import setup

args = setup("Keras callbacks demo")  # --profile, --backend, --out; picks the backend before Keras loads

import keras  # noqa: E402

from keraslab import plots  # noqa: E402
from keraslab.callbacks import TrainingTimeCallback, check_callbacks  # noqa: E402
from keraslab.cli import plots_dir_for  # noqa: E402
from keraslab.experiments import execute  # noqa: E402
from keraslab.experiments.callbacks import Config, build_model, digits  # noqa: E402
from keraslab.store import RunStore  # noqa: E402

# %% Data: scikit-learn's 8x8 digits (bundled, no download)
(x_train, y_train), (x_val, y_val), (x_test, y_test) = digits(seed=0)

# %% Model
keras.utils.set_random_seed(0)
model = build_model()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

# %% The guide's callback strategy (checked for misuse before training)
folder = Path(tempfile.mkdtemp(prefix="keraslab-callbacks-"))
timer = TrainingTimeCallback()
callbacks = [
    keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True),
    keras.callbacks.ModelCheckpoint(str(folder / "best_model.keras"), save_best_only=True),
    keras.callbacks.ReduceLROnPlateau(factor=0.2, patience=5),
    timer,
]
check_callbacks(callbacks, has_validation=True, optimizer=model.optimizer)

# %% Train
history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=100, batch_size=32,
                    callbacks=callbacks, verbose=0)
print(f"ran {len(history.history['loss'])} of 100 epochs, {sum(timer.epoch_times):.1f}s in all")

# %% Evaluate the restored best weights, and the checkpoint on disk
print("test accuracy (restored best weights):", round(model.evaluate(x_test, y_test, verbose=0)[1], 4))
best = keras.models.load_model(folder / "best_model.keras", safe_mode=True)
print("test accuracy (best_model.keras):", round(best.evaluate(x_test, y_test, verbose=0)[1], 4))

# %% The measured comparison: no callbacks vs EarlyStopping vs + ReduceLROnPlateau, over seeds
store = RunStore(args.out)
execute("callbacks", Config.for_profile(args.profile), store)

# %% Plots from the stored run
for path in plots.render(store, plots_dir_for(args.out), experiments=["callbacks"]):
    print("wrote", path)
