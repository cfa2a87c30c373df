# %% [markdown]
# # Exercises for lesson 5: Keras and PyTorch side by side
#
# These exercises go with `keras_vs_pytorch.py`. You write the moons MLP of lesson 1 in PyTorch,
# move a Keras model's weights into it, and write the training step that `model.fit` does for
# you. The checker compares your code with a reference, number for number. Replace each `____`,
# run the cell, run its check.

# %% [markdown]
# ## Setup

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # choose the backend before Keras is imported

import keras
import torch
from torch import nn

from keraslab.exercises import ____, start

ex = start("keras_vs_pytorch", globals())

# %% [markdown]
# ## Exercise 1: the moons MLP as an nn.Module
#
# Write `TorchMoonsMLP(nn.Module)`: 2 inputs, hidden layers of 16 and 8 units with ReLU, and one
# output that is a **logit** (PyTorch's `nn.BCEWithLogitsLoss` applies the sigmoid itself).

# %%
# Exercise 1: your answer
TorchMoonsMLP = ____

# %%
ex.q1.check()
# ex.q1.hint()
# ex.q1.solution()

# %% [markdown]
# ## Exercise 2: copy the weights from Keras
#
# Write `copy_keras_to_torch(keras_model, torch_model)` that copies every `Dense` layer's kernel
# and bias of a Keras 16-8-1 model into the matching `nn.Linear` layers of a PyTorch twin, so that
# the two give the same outputs. The checker builds both models itself.

# %%
# Exercise 2: your answer
copy_keras_to_torch = ____

# %%
ex.q2.check()
# ex.q2.hint()
# ex.q2.solution()

# %% [markdown]
# ## Exercise 3: one training step
#
# Write `train_step(model, optimizer, loss_fn, x, y)`: one step of what `fit` does per batch —
# with whatever PyTorch needs so that the next step starts clean — returning the batch's loss as
# a Python float. The checker runs three steps of yours next to three of a reference loop.

# %%
# Exercise 3: your answer
train_step = ____

# %%
ex.q3.check()
# ex.q3.hint()
# ex.q3.solution()
