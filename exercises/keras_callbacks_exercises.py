# %% [markdown]
# # Exercises for lesson 3: callbacks
#
# These exercises go with `keras_callbacks_demo.py`. Callbacks are checked the way Keras' own
# tests check them: the checker calls your callback's hooks (`on_train_begin`, `on_epoch_end`,
# ...) with logs it scripts itself — a validation loss that improves and then stalls, a
# validation accuracy that crosses a threshold — on a tiny model, without training anything.
# Replace each `____`, run the cell, then run its check.

# %% [markdown]
# ## Setup

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # choose the backend before Keras is imported

import keras

from keraslab.exercises import ____, start

ex = start("callbacks", globals())

# %% [markdown]
# ## Exercise 1: EarlyStopping that keeps the best model
#
# Create `early_stopping`, a `keras.callbacks.EarlyStopping` that watches the validation loss,
# waits a few epochs without improvement before stopping, and leaves the model with the weights
# of its **best** epoch, not its last.

# %%
# Exercise 1: your answer
early_stopping = ____

# %%
ex.q1.check()
# ex.q1.hint()
# ex.q1.solution()

# %% [markdown]
# ## Exercise 2: stop at a validation-accuracy threshold
#
# Write a callback class `StopAtAccuracy(keras.callbacks.Callback)` whose constructor takes a
# `threshold`, and which stops training at the end of the first epoch whose `val_accuracy` is at
# least that threshold. It must not fail when there is no validation data.

# %%
# Exercise 2: your answer
StopAtAccuracy = ____

# %%
ex.q2.check()
# ex.q2.hint()
# ex.q2.solution()

# %% [markdown]
# ## Exercise 3: a step schedule for the learning rate
#
# Write `schedule(epoch, lr)` for `keras.callbacks.LearningRateScheduler`: a learning rate of
# 1e-3 for the first 20 epochs, 1e-4 for the next 20, and 1e-5 from then on. Remember how Keras
# numbers the epochs it passes in. Then wrap it: `lr_callback`.

# %%
# Exercise 3: your answer
schedule = ____
lr_callback = ____

# %%
ex.q3.check()
# ex.q3.hint()
# ex.q3.solution()
