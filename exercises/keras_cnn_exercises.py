# %% [markdown]
# # Exercises for lesson 4: a CNN on MNIST
#
# These exercises go with `keras_cnn_mnist.py`. Two of them are arithmetic you do by hand —
# counting parameters is how you find out why the original module guide's figure for the Improved
# CNN cannot be right — one asks you to train a CNN past 99% within a stated budget, and one to
# compute the confusion matrix the lesson drew. Replace each `____`, run the cell, run its check.

# %% [markdown]
# ## Setup
#
# MNIST scaled to [0, 1] with a channel axis, as in the lesson. Train only on `x_train`: the
# checker measures your model on the 10,000 test images, which it loads itself.

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # choose the backend before Keras is imported

import keras
import numpy as np
from keras import layers

from keraslab.data import load_mnist
from keraslab.exercises import ____, start

ex = start("cnn", globals())

(x_train, y_train), _ = load_mnist()
x_train = (x_train.astype("float32") / 255.0)[..., None]
print("train", x_train.shape)

# %% [markdown]
# ## Exercise 1: count parameters by hand
#
# In the Simple CNN, the second convolution is `Conv2D(64, (3, 3))`, applied to the 32 channels
# the first one produced. Set `conv_params` to its number of parameters. Then set `dense_params` to the parameters of the
# `Dense(64)` layer that reads the flattened 3×3×64 map (576 numbers). Write the arithmetic, not
# the result of `count_params()`.

# %%
# Exercise 1: your answer
conv_params = ____
dense_params = ____

# %%
ex.q1.check()
# ex.q1.hint()
# ex.q1.solution()

# %% [markdown]
# ## Exercise 2: why not 1,250,858?
#
# The guide lists the Improved CNN's layers — Conv(32), BN, Conv(32), Pool, Dropout, Conv(64), BN,
# Conv(64), Pool, Dropout, Flatten, Dense(512), BN, Dropout, Dense(10), all 3×3 convolutions with
# Keras' default `padding="valid"` — and says 1,250,858 parameters. Follow the image size through
# the layers: set `flatten_size` to the number of values Flatten produces, and
# `improved_dense_params` to the parameters of the `Dense(512)` layer after it.

# %%
# Exercise 2: your answer
flatten_size = ____
improved_dense_params = ____

# %%
ex.q2.check()
# ex.q2.hint()
# ex.q2.solution()

# %% [markdown]
# ## Exercise 3: above 99% within a budget
#
# Train `cnn_model` on `x_train, y_train` so that it classifies at least 99% of the 10,000 test
# images correctly, in **at most 3 epochs** over the 60,000 training images; keep what `fit`
# returns as `cnn_history`. The model must take the images as they are here (scaled to [0, 1],
# shape (28, 28, 1)). On a 2-core laptop CPU an epoch of a small CNN takes from about ten seconds
# to a minute.

# %%
# Exercise 3: your answer
cnn_model = ____
cnn_history = ____

# %%
ex.q3.check()
# ex.q3.hint()
# ex.q3.solution()

# %% [markdown]
# ## Exercise 4: the confusion matrix
#
# Write `confusion_matrix(y_true, y_pred)` with NumPy: a 10×10 array of counts whose entry
# `[i, j]` is the number of images of true digit `i` predicted as `j`.

# %%
# Exercise 4: your answer
confusion_matrix = ____

# %%
ex.q4.check()
# ex.q4.hint()
# ex.q4.solution()
