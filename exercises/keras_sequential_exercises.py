# %% [markdown]
# # Exercises for lesson 1: the Sequential API
#
# These exercises go with `keras_sequential_demo.py`. Each one asks you to write a few lines of
# Keras and then checks **your** objects: the layers you built, the loss you chose, the history
# your `fit` returned, and — where a trained model is asked for — how well it does on data your
# code never saw (the checker draws its own points).
#
# How to work: replace each `____` with your answer, run the cell, then run the `ex.qN.check()`
# cell below it. The check prints one sentence: *correct* with what it measured, *incorrect* with
# what is wrong, or *not attempted* while the blank is still there. Stuck? Uncomment
# `ex.qN.hint()` (and `ex.qN.hint(2)` for a bigger hint) or, last, `ex.qN.solution()`.
# Your latest status of every exercise is listed by `keraslab exercises`, and
# `keraslab check exercises/keras_sequential_exercises.py` checks the whole file at once.

# %% [markdown]
# ## Setup
#
# The same data as the lesson: 1,000 points of scikit-learn's two moons, split into training and
# test sets, and the Iris flowers with their species as the integers 0, 1 and 2.

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # choose the backend before Keras is imported

import keras
import numpy as np
from keras import layers
from sklearn.datasets import load_iris, make_moons
from sklearn.model_selection import train_test_split

from keraslab.exercises import ____, start

ex = start("sequential", globals())

x, y = make_moons(n_samples=1000, noise=0.3, random_state=0)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
iris = load_iris()
x_iris, y_iris = iris.data, iris.target
print("moons:", x_train.shape, "| iris:", x_iris.shape, "labels", np.unique(y_iris))

# %% [markdown]
# ## Exercise 1: build the 16-8-1 model
#
# Build the original module guide's model for moons as a `keras.Sequential` and call it
# `moons_model`: an input of 2 features, a hidden `Dense` layer of 16 units and one of 8, both
# with ReLU, and an output layer suited to a two-class problem. Do not compile it yet.

# %%
# Exercise 1: your answer
moons_model = ____

# %%
ex.q1.check()
# ex.q1.hint()
# ex.q1.solution()

# %% [markdown]
# ## Exercise 2: the head and the loss for three classes
#
# Iris has three species. Build `iris_model` (4 input features, one hidden layer of your choice)
# with the output layer a multiclass problem needs, and **compile** it with the loss that fits
# labels stored as the integers 0, 1, 2 (look at `y_iris` above).

# %%
# Exercise 2: your answer
iris_model = ____

# %%
ex.q2.check()
# ex.q2.hint()
# ex.q2.solution()

# %% [markdown]
# ## Exercise 3: fit with a validation split and read the history
#
# Train a fresh 16-8-1 model on `x_train, y_train` for 20 epochs with `validation_split=0.2`, and
# keep what `fit` returns as `history`. Then set `best_epoch` to the epoch (counting from 1, as
# the progress bar does) with the lowest validation loss, read from `history.history`.

# %%
# Exercise 3: your answer
history = ____
best_epoch = ____

# %%
ex.q3.check()
# ex.q3.hint()
# ex.q3.solution()

# %% [markdown]
# ## Exercise 4: make Adagrad work
#
# In the lesson Adagrad, at Keras' default learning rate, lagged far behind the other optimizers.
# Train a 16-8-1 model called `adagrad_model` with `keras.optimizers.Adagrad` on `x_train,
# y_train` (50 epochs are enough) and choose a learning rate that gets it to at least 0.85
# accuracy. The checker measures it on 1,000 fresh moons points it draws itself.

# %%
# Exercise 4: your answer
adagrad_model = ____

# %%
ex.q4.check()
# ex.q4.hint()
# ex.q4.solution()
