# %% [markdown]
# # Keras and PyTorch side by side: one CNN, two frameworks, the same numbers
#
# The original module guide ends with a comparison table: Keras is "high-level, user-friendly",
# PyTorch "lower-level, more control"; Keras defines a model with `Sequential` or the Functional
# API, PyTorch by subclassing `nn.Module`; Keras trains with `fit()`, PyTorch with a loop you
# write. A table like that is easy to nod along to and hard to feel. In this lesson you write the
# **same** network in both frameworks, give both the **same starting weights** and the **same
# batches**, and watch their losses agree step by step. Once you have seen that they compute the
# same function, the differences that remain are the real ones: how much code you write, what
# you control, and how fast each runs on your machine.
#
# You will:
#
# 1. build the guide's Simple CNN with `keras.Sequential` and train it with `compile` / `fit`;
# 2. write the same CNN as a `torch.nn.Module`, with its training loop written out by hand;
# 3. copy the Keras weights into the PyTorch model and train both on identical batches;
# 4. run the very same Keras code on the PyTorch backend (`KERAS_BACKEND=torch`);
# 5. time an epoch of each and count their lines, then go back to the guide's table.
#
# **How this copy was run.** The executed notebook in `notebooks/` ran on the *quick* profile
# (`KERASLAB_PROFILE=quick`): the step-by-step comparison uses a few dozen batches and the timing
# uses a slice of MNIST. The first code cell prints the profile, the number of images and epochs,
# so you can always tell from the output what produced the numbers below it. Run
# `python keras_vs_pytorch.py` or open it in JupyterLab (`make lab`) to run it yourself; the
# exercises for this lesson are in `exercises/keras_vs_pytorch_exercises.py`.

# %% [markdown]
# ## Setup
#
# Keras picks its backend once, when it is first imported, from the `KERAS_BACKEND` environment
# variable; so we set it *before* `import keras`. This lesson uses TensorFlow for the Keras side
# (the guide's backend) and plain PyTorch for the other side; the last part starts a separate
# Python process to run Keras on the PyTorch backend, because one process cannot switch backends.
# `torch.set_num_threads` is left alone: both frameworks use every core by default.

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # choose the backend before Keras is imported

import inspect
import subprocess
import sys
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import torch
from keras import layers
from torch import nn

from keraslab.data import load_mnist  # = keras.datasets.mnist.load_data(), verified and cached for offline use

PROFILE = os.environ.get("KERASLAB_PROFILE", "standard")  # quick: the executed notebooks; smoke: the tests
N_TRAIN = {"smoke": 512, "quick": 12_800}.get(PROFILE, 60_000)  # images timed per epoch
STEPS = {"smoke": 3}.get(PROFILE, 40)  # batches compared step by step
EPOCHS = 2  # the second epoch is the one timed: the first also pays for start-up and tracing
BATCH_SIZE = 128
print(f"profile {PROFILE}: {STEPS} batches compared, {N_TRAIN:,} images timed over {EPOCHS} epochs")
print("Keras", keras.__version__, "on", keras.backend.backend(), "| PyTorch", torch.__version__)


def show(fig, name):
    """Inline in a notebook; saved to plots/ from a terminal."""
    os.makedirs("plots", exist_ok=True)
    fig.savefig(f"plots/{name}", dpi=110, bbox_inches="tight")
    plt.show()


# %% [markdown]
# ## Data
#
# MNIST: 60,000 training images of handwritten digits, 28×28 grey pixels, and 10,000 test images.
# We scale the pixels to [0, 1]. Here is the first difference between the frameworks, and it is
# about memory layout, not about learning: Keras (on TensorFlow) stores images *channels last*,
# `(batch, height, width, channels)`, while PyTorch's `nn.Conv2d` expects *channels first*,
# `(batch, channels, height, width)`. The same pixels, two arrangements; we keep one array of
# each. The labels are integers 0-9 in both.

# %%
(x_train, y_train), (x_test, y_test) = load_mnist()
x_train = (x_train[:N_TRAIN].astype("float32") / 255.0)[..., None]  # (N, 28, 28, 1): channels last
y_train = y_train[:N_TRAIN].astype("int64")
x_test = (x_test.astype("float32") / 255.0)[..., None]
x_train_nchw = np.ascontiguousarray(x_train.transpose(0, 3, 1, 2))  # (N, 1, 28, 28): channels first
print("Keras sees", x_train.shape, "| PyTorch sees", x_train_nchw.shape)

# %% [markdown]
# ## Model, the Keras way
#
# The guide's Simple CNN: three convolutions with max-pooling in between, then two dense layers.
# In Keras you *list* the layers; shapes are inferred from `keras.Input`, and `summary()` shows
# every layer's output shape and parameter count. `compile` fixes the three things training needs
# (optimizer, loss, metrics), and that is the whole model definition.


# %%
def build_keras_cnn(optimizer="adam"):
    model = keras.Sequential(
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
        ]
    )
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


keras.utils.set_random_seed(0)
keras_cnn = build_keras_cnn()
keras_cnn.summary()

# %% [markdown]
# ## Model, the PyTorch way
#
# In PyTorch a model is a class: the layers are created in `__init__`, and `forward` says what to
# do with them. Each layer is told its input size as well as its output size
# (`nn.Conv2d(32, 64, 3)`: 32 channels in, 64 out), because PyTorch does not infer shapes from an
# input declaration. Two details matter for getting the same function as Keras:
#
# - the last layer returns **logits** (no softmax): `nn.CrossEntropyLoss` applies the softmax
#   itself, in a numerically stable way — the Keras model applies it in the layer instead;
# - Keras' `Flatten` reads the final 3×3×64 feature map in (height, width, channel) order, PyTorch's
#   in (channel, height, width) order. The weights must be rearranged when copied, or the first
#   dense layer would see its inputs shuffled.


# %%
class TorchCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 3),
            nn.ReLU(),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(3 * 3 * 64, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):  # x: (N, 1, 28, 28) -> logits (N, 10)
        return self.classifier(self.features(x))


torch_cnn = TorchCNN()
print(
    "PyTorch CNN:",
    sum(p.numel() for p in torch_cnn.parameters()),
    "parameters;",
    "Keras CNN:",
    keras_cnn.count_params(),
    "parameters",
)

# %% [markdown]
# ## The same starting point: copy the weights across
#
# Both models now exist with *different* random weights. To compare the frameworks rather than
# two random draws, we copy every Keras weight into the PyTorch model. Keras stores a convolution
# kernel as `(height, width, in, out)` and PyTorch as `(out, in, height, width)`; a dense kernel as
# `(in, out)` in Keras and `(out, in)` in PyTorch; and the first dense layer's rows need the
# flatten-order change described above. After the copy we check the claim directly: the two
# models' predictions on 256 test images should agree to about six decimal places (float32
# arithmetic done in a different order differs in the last digits, nothing more).


# %%
def copy_keras_to_torch(keras_model, torch_model):
    w = keras_model.get_weights()  # [kernel, bias] for each Conv2D and Dense layer, in order
    convs = [m for m in torch_model.features if isinstance(m, nn.Conv2d)]
    dense = [m for m in torch_model.classifier if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for i, conv in enumerate(convs):
            conv.weight.copy_(torch.from_numpy(w[2 * i].transpose(3, 2, 0, 1).copy()))  # HWIO -> OIHW
            conv.bias.copy_(torch.from_numpy(w[2 * i + 1]))
        first = w[6].reshape(3, 3, 64, 64).transpose(2, 0, 1, 3).reshape(576, 64)  # rows (h,w,c) -> (c,h,w)
        dense[0].weight.copy_(torch.from_numpy(first.T.copy()))
        dense[0].bias.copy_(torch.from_numpy(w[7]))
        dense[1].weight.copy_(torch.from_numpy(w[8].T.copy()))
        dense[1].bias.copy_(torch.from_numpy(w[9]))


copy_keras_to_torch(keras_cnn, torch_cnn)
probe = x_test[:256]
keras_probs = keras_cnn.predict(probe, verbose=0)
with torch.no_grad():
    torch_probs = torch.softmax(torch_cnn(torch.from_numpy(np.ascontiguousarray(probe.transpose(0, 3, 1, 2)))), 1)
print(
    f"largest difference between the two models' predicted probabilities: "
    f"{np.abs(keras_probs - torch_probs.numpy()).max():.2e}"
)

# %% [markdown]
# ## Train both on the same batches, step by step
#
# Now the heart of the comparison. `model.fit` hides a loop; here we make Keras take one step at a
# time with `train_on_batch`, and write PyTorch's loop out: clear the old gradients
# (`zero_grad`), run the model (`forward`), compute the loss, back-propagate (`backward`), update
# the weights (`step`). Each framework starts from the same weights (a fresh Keras model, copied
# into a fresh PyTorch one) and sees batch *k* made of the same images.
#
# We run the comparison twice. First with **plain SGD** (learning rate 0.05), whose update —
# weight minus learning rate times gradient — is the same formula in both frameworks. Then with
# **Adam** at Keras' defaults (learning rate 0.001, epsilon 1e-7; PyTorch's default epsilon is
# 1e-8, so we pass Keras' value). If the two frameworks compute the same training, the SGD losses
# must agree to float32 precision at every step.

# %%
order = np.random.default_rng(0).permutation(N_TRAIN)
batches = [order[i * BATCH_SIZE : (i + 1) * BATCH_SIZE] for i in range(STEPS)]


def side_by_side(keras_optimizer, make_torch_optimizer):
    """The losses of STEPS training steps in each framework, from the same weights."""
    keras.utils.set_random_seed(0)
    keras_model = build_keras_cnn(keras_optimizer)
    torch_model = TorchCNN()
    copy_keras_to_torch(keras_model, torch_model)
    keras_losses = [float(keras_model.train_on_batch(x_train[idx], y_train[idx])[0]) for idx in batches]

    optimizer = make_torch_optimizer(torch_model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    torch_losses = []
    torch_model.train()
    for idx in batches:
        optimizer.zero_grad()
        loss = loss_fn(torch_model(torch.from_numpy(x_train_nchw[idx])), torch.from_numpy(y_train[idx]))
        loss.backward()
        optimizer.step()
        torch_losses.append(loss.item())
    return np.array(keras_losses), np.array(torch_losses)


runs = {
    "SGD": side_by_side(keras.optimizers.SGD(0.05), lambda params: torch.optim.SGD(params, lr=0.05)),
    "Adam": side_by_side(keras.optimizers.Adam(), lambda params: torch.optim.Adam(params, lr=1e-3, eps=1e-7)),
}
for name, (keras_losses, torch_losses) in runs.items():
    gap = np.abs(keras_losses - torch_losses)
    print(f"{name}: largest gap over {STEPS} steps {gap.max():.2e} (relative {(gap / keras_losses).max():.2e})")
    for step in sorted({0, 1, 2, STEPS - 1}):
        print(f"  step {step + 1:3d}: Keras {keras_losses[step]:.7f}   PyTorch {torch_losses[step]:.7f}")

# %% [markdown]
# Read the SGD lines first. The two frameworks add up the same products in different orders
# (different convolution kernels, different thread splits), and float32 keeps about seven
# significant digits, so their losses may differ in the last digit or two — and that is all: the
# printed largest gap is the honest measure of "the same computation". A gap of the order of the
# losses themselves would mean a bug (a kernel copied without its transpose, a missing bias).
#
# The Adam lines tell a second, subtler story. If their gap is larger and grows with the steps,
# two things are at work. The frameworks do not place epsilon the same way: Keras adds it to
# √v before the bias correction, PyTorch after, so the same `epsilon=1e-7` is a slightly
# different number in the update. And Adam divides every gradient by its own running size, so a
# weight whose gradient is nothing but rounding noise still takes a full-size step, in whichever
# direction the noise points; rounding differences that SGD keeps tiny, Adam turns into real
# differences in the weights. Neither framework is wrong; "the same optimizer" in two libraries
# is worth checking before comparing their results number for number. The figure draws all four
# loss curves and both gaps on a log scale.

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.2))
steps = np.arange(1, STEPS + 1)
styles = {"SGD": ("tab:blue", "tab:cyan"), "Adam": ("tab:red", "tab:orange")}
for name, (keras_losses, torch_losses) in runs.items():
    k_color, t_color = styles[name]
    ax1.plot(steps, keras_losses, "o-", color=k_color, markersize=3, label=f"{name}, Keras (TensorFlow)")
    ax1.plot(steps, torch_losses, "x--", color=t_color, markersize=4, label=f"{name}, PyTorch loop")
    ax2.semilogy(steps, np.maximum(np.abs(keras_losses - torch_losses), 1e-9), ".-", color=k_color, label=name)
ax1.set(title="Training loss on identical batches", xlabel="step (batch of 128 images)", ylabel="cross-entropy loss")
ax1.legend(fontsize=8)
ax2.set(
    title="|Keras loss − PyTorch loss| (gaps below 1e-9 drawn at 1e-9)",
    xlabel="step (batch of 128 images)",
    ylabel="absolute gap (log scale)",
)
ax2.legend()
for ax in (ax1, ax2):
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
fig.tight_layout()
show(fig, "keras_vs_pytorch_losses.png")

# %% [markdown]
# ## The same Keras code on the PyTorch backend
#
# Keras 3 is not tied to TensorFlow: the same `keras.Sequential` code runs on JAX or PyTorch,
# chosen by `KERAS_BACKEND`. Since a process picks its backend once, we write the Keras part of
# this lesson to a small script and run it in a fresh Python process with `KERAS_BACKEND=torch`.
# Read the script: it is exactly the model above, `compile`, and `fit` — not one PyTorch call.
# On this backend each Keras layer runs as PyTorch operations; the script prints the backend
# Keras really used and how long its second epoch took.

# %%
KERAS_SCRIPT = f"""
import os, time
import numpy as np
import keras
from keras import layers
from keraslab.data import load_mnist

(x, y), _ = load_mnist(log=lambda message: None)
x = (x[:{N_TRAIN}].astype("float32") / 255.0)[..., None]
y = y[:{N_TRAIN}]
keras.utils.set_random_seed(0)
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
    layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
    layers.Conv2D(64, 3, activation="relu"),
    layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
times = []
for epoch in range({EPOCHS}):
    start = time.perf_counter()
    history = model.fit(x, y, epochs=1, batch_size={BATCH_SIZE}, verbose=0)
    times.append(time.perf_counter() - start)
print(keras.backend.backend(), times[-1], history.history["accuracy"][-1])
"""
env = {**os.environ, "KERAS_BACKEND": "torch", "TF_CPP_MIN_LOG_LEVEL": "3"}
result = subprocess.run([sys.executable, "-c", KERAS_SCRIPT], capture_output=True, text=True, env=env, check=True)
backend_used, keras_torch_epoch_s, keras_torch_accuracy = result.stdout.split()[-3:]
keras_torch_epoch_s = float(keras_torch_epoch_s)
print(
    f"Keras on the {backend_used} backend: second epoch {keras_torch_epoch_s:.2f} s, "
    f"training accuracy {float(keras_torch_accuracy):.4f}"
)

# %% [markdown]
# ## Time an epoch of each
#
# Speed is part of the guide's table too. To compare fairly, every contestant gets the same
# model, the same number of images (printed at the top), batch size 128, and Adam; each trains
# for two epochs and we time the **second**, because the first also pays for one-time costs
# (TensorFlow traces the model into a graph, PyTorch warms up its kernels). One timing on one
# machine is an anecdote, not a measurement: the numbers move with the CPU, its other load and
# the library versions. `keraslab bench` times these same contestants over several interleaved
# rounds, with PyTorch's own speed-ups (channels-last memory, bfloat16 where the CPU has it), and
# reports the ratio with its range.


# %%
def keras_epoch_seconds():
    keras.utils.set_random_seed(0)
    model = build_keras_cnn()
    times = []
    for _ in range(EPOCHS):
        start = time.perf_counter()
        model.fit(x_train, y_train, epochs=1, batch_size=BATCH_SIZE, verbose=0)
        times.append(time.perf_counter() - start)
    return times[-1]


def torch_epoch_seconds():
    torch.manual_seed(0)
    model = TorchCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.from_numpy(x_train_nchw), torch.from_numpy(y_train)
    times = []
    for epoch in range(EPOCHS):
        start = time.perf_counter()
        model.train()
        for idx in torch.randperm(len(x)).split(BATCH_SIZE):
            optimizer.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    return times[-1]


seconds = {
    "Keras on TensorFlow (fit)": keras_epoch_seconds(),
    "PyTorch (hand-written loop)": torch_epoch_seconds(),
    "Keras on PyTorch (fit)": keras_torch_epoch_s,
}
for name, s in seconds.items():
    print(f"{name:28s} {s:6.2f} s per epoch = {N_TRAIN / s:8,.0f} images/s")

# %% [markdown]
# ## Lines of code
#
# The other half of "high-level vs lower-level" is how much you write. We count the non-blank,
# non-comment lines of each complete version — model definition plus training — using Python's
# own `inspect` on the functions above: `build_keras_cnn` plus the one `fit` call for Keras,
# `TorchCNN` plus the loop in `torch_epoch_seconds` for PyTorch (its timing lines left out).


# %%
def code_lines(obj, skip=("time", "times")):
    lines = [line.strip() for line in inspect.getsource(obj).splitlines()]
    return [line for line in lines if line and not line.startswith("#") and not any(s in line for s in skip)]


keras_lines = len(code_lines(build_keras_cnn)) + 1  # + model.fit(x, y, epochs=..., batch_size=...)
module_lines = 1 + len(code_lines(TorchCNN.__init__)) + len(code_lines(TorchCNN.forward))  # + the class line
torch_lines = module_lines + len(code_lines(torch_epoch_seconds)) - 2  # less its def and return lines
print(f"Keras: {keras_lines} lines (model, compile, fit); PyTorch: {torch_lines} lines (module, optimizer, loop)")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
names = list(seconds)
ax1.barh(names, [N_TRAIN / seconds[n] for n in names], color=["tab:red", "tab:blue", "tab:purple"])
ax1.set(title="Training throughput, second epoch (one timing)", xlabel="images per second (higher is faster)")
for i, n in enumerate(names):
    ax1.text(N_TRAIN / seconds[n], i, f" {N_TRAIN / seconds[n]:,.0f}", va="center")
ax1.set_xlim(0, 1.25 * max(N_TRAIN / s for s in seconds.values()))
ax2.bar(["Keras", "PyTorch"], [keras_lines, torch_lines], color=["tab:red", "tab:blue"])
ax2.set(title="Lines of code: model + training", ylabel="non-blank, non-comment lines")
for i, v in enumerate([keras_lines, torch_lines]):
    ax2.text(i, v, str(v), ha="center", va="bottom")
fig.tight_layout()
show(fig, "keras_vs_pytorch_speed_and_lines.png")

# %% [markdown]
# ## Back to the guide's table
#
# The original module guide compares the two frameworks on four rows. Here is each row against
# what you just ran; read your own output above for the numbers.
#
# - **Philosophy: "high-level, user-friendly" vs "lower-level, more control".** Both are true,
#   and you saw where the line runs. Keras made the decisions for you (weight initialisation,
#   the loss applied to softmax outputs, the loop, the metrics); PyTorch asked you to make each
#   one, and in return let you change any of them — a different step for every tenth batch, a
#   gradient clipped by hand, a loss that looks inside the model — without fighting a framework.
# - **Model definition: `Sequential` / Functional vs `nn.Module` subclassing.** Keras inferred
#   every shape from `keras.Input`; PyTorch needed each layer's input size. Keras also has
#   subclassing (`keras.Model` with `call`, lesson 2) and PyTorch has `nn.Sequential`, so this row
#   is about habits more than abilities.
# - **Training loop: built-in `fit()` vs manual loop.** The line counts above measure it. The
#   manual loop is short, but each of its lines is a chance for a classic bug: forget
#   `zero_grad()` and gradients pile up across batches; forget `model.train()` / `model.eval()`
#   and Dropout and BatchNormalization behave as in the wrong phase. `fit` cannot forget.
# - **Debugging: "Keras: can be harder", "PyTorch: more intuitive".** PyTorch runs your Python
#   line by line (eager execution), so a `print` or a breakpoint inside `forward` shows real
#   tensors. Keras on TensorFlow traces `fit`'s step into a graph for speed, so a `print` inside a
#   layer runs once, during tracing; `model.compile(run_eagerly=True)` trades that speed back for
#   PyTorch-style debugging. And on the PyTorch backend, Keras code *is* PyTorch underneath.
#
# What the table leaves out is that the choice is less exclusive than it looks: the step-by-step
# losses showed that the two compute the same training from the same weights, and Keras 3 ran the
# same model code on PyTorch. For the speed row, trust a benchmark with several rounds on your own
# CPU (`keraslab bench`) over any single timing, including the one above.
#
# **Exercises** (`exercises/keras_vs_pytorch_exercises.py`): write the moons MLP as an
# `nn.Module`, copy a Keras model's weights into it, and write one PyTorch training step — each
# checked by `ex.qN.check()`.
