# %% [markdown]
# # Exercises for lesson 2: the Functional API
#
# These exercises go with `keras_functional_demo.py`: a branching model, a model with two inputs
# and two outputs, and a subclassed model. Replace each `____`, run the cell, then run the check
# below it; `ex.qN.hint()` and `ex.qN.solution()` are there when you need them. The checker looks
# inside your model: which layers feed which, what the inputs and outputs are called, how the
# losses are weighted.

# %% [markdown]
# ## Setup
#
# Iris again: 4 standardized measurements per flower (the first two are the sepal's length and
# width, the last two the petal's), 3 species as integer labels.

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # choose the backend before Keras is imported

import keras
import numpy as np
from keras import layers
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from keraslab.exercises import ____, start

ex = start("functional", globals())

iris = load_iris()
x_iris = StandardScaler().fit_transform(iris.data).astype("float32")
y_iris = iris.target
print("iris:", x_iris.shape)

# %% [markdown]
# ## Exercise 1: two branches joined by Concatenate
#
# Build `branching_model` with the Functional API: one input of 4 features feeding **two**
# `Dense` layers side by side (for example 32 ReLU units and 24 tanh units), their outputs joined
# with `layers.Concatenate`, and a 3-class softmax output on top.

# %%
# Exercise 1: your answer
branching_model = ____

# %%
ex.q1.check()
# ex.q1.hint()
# ex.q1.solution()

# %% [markdown]
# ## Exercise 2: two inputs, two outputs, weighted losses
#
# Build `multi_io_model` with two inputs named `"sepal"` and `"petal"` (2 numbers each) and two
# 3-class softmax outputs named `"main"` and `"aux"`, where `aux` sees only the sepal branch.
# Compile it with one loss per output and `loss_weights` that let the auxiliary output help
# training without deciding it.

# %%
# Exercise 2: your answer
multi_io_model = ____

# %%
ex.q2.check()
# ex.q2.hint()
# ex.q2.solution()

# %% [markdown]
# ## Exercise 3: subclass keras.Model
#
# Write a class `IrisClassifier(keras.Model)` that creates its layers in `__init__` and applies
# them in `call`, mapping 4 features to 3 class probabilities. The checker creates it with
# `IrisClassifier()` and calls it on a batch of flowers.

# %%
# Exercise 3: your answer
IrisClassifier = ____

# %%
ex.q3.check()
# ex.q3.hint()
# ex.q3.solution()
