"""Native PyTorch twins of the Simple CNN and the moons MLP, with the hand-written training loop
the original module guide calls "manual loop implementation".

Same architecture and parameter count as the Keras models, Keras' initialisation (Glorot-uniform
weights, zero biases), Adam with Keras' defaults (lr 1e-3, eps 1e-7), the same batch size and the
same per-epoch batch order (:class:`keraslab.resumable.EpochShuffled`'s permutation).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def keras_init_(module: nn.Module) -> nn.Module:
    """Glorot-uniform weights and zero biases, as Keras initialises Dense and Conv2D."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return module


class SimpleCNN(nn.Module):
    """Conv(32)-Pool-Conv(64)-Pool-Conv(64)-Flatten-Dense(64)-Dense(10): 93,322 parameters."""

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
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10))
        keras_init_(self)

    def forward(self, x):  # x: N, 1, 28, 28 -> logits N, 10
        return self.classifier(self.features(x))


class MoonsMLP(nn.Module):
    """Linear(2,16)-ReLU-Linear(16,8)-ReLU-Linear(8,1): 193 parameters; returns logits."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1))
        keras_init_(self)

    def forward(self, x):
        return self.net(x)


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


class SpeedrunCNN(nn.Module):
    """tuomaso/train_mnist_fast's net: Conv(1→24, 5×5) → maxpool → ReLU → Conv(24→32, 3×3) → maxpool
    → ReLU → Linear(800→256) → ReLU → Linear(256→10); 215,194 parameters, logits out."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 24, 5),
            nn.MaxPool2d(2),
            nn.ReLU(),
            nn.Conv2d(24, 32, 3),
            nn.MaxPool2d(2),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(800, 256),
            nn.ReLU(),
            nn.Linear(256, 10),
        )

    def forward(self, x):
        return self.net(x)


#: the ways a PyTorch engineer makes this loop fast on a CPU (each measured by `keraslab bench`)
VARIANTS = {
    "eager, NCHW": {},  # how the original module guide writes it
    "eager, channels_last": {"channels_last": True},
    "torch.compile, channels_last": {"channels_last": True, "compile": True},
    "bf16 autocast, channels_last": {"channels_last": True, "bf16": True},
}
#: the fastest float32 variant measured on both of the project's CPU kinds (`keraslab bench`)
STRONGEST_FLOAT32 = "eager, channels_last"
#: Adam's update in one fused kernel (off in PyTorch by default): the strongest PyTorch has, as
#: keraslab's path on TensorFlow has its own (:func:`keraslab.compat.fused_adam`). Measured on the
#: speedrun's network (``docs/probes/fused_adam.py``, ``avx512`` kind): 0.59 ms per update by default, 0.13 ms fused.
FUSED_ADAM = True


def prepare(model: nn.Module, x: np.ndarray, *, channels_last=False, compile=False):
    """(model, x tensor) in the memory format asked for; ``compile`` wraps the model in torch.compile."""
    x_t = torch.from_numpy(x)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x_t = x_t.contiguous(memory_format=torch.channels_last)
    if compile:
        model = torch.compile(model)
    return model, x_t


def train(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    loss_fn: nn.Module,
    on_epoch_end=None,
    channels_last: bool = False,
    compile: bool = False,
    bf16: bool = False,
) -> list[float]:
    """The manual loop: batches in the (seed, epoch) order, forward, loss, backward, step.

    ``channels_last``, ``compile`` and ``bf16`` (``torch.autocast("cpu", bfloat16)``: bfloat16
    compute, float32 weights, the loss in float32) are PyTorch's own speed-ups, off by default.
    Adam is always PyTorch's fused one (``fused=True``; :data:`FUSED_ADAM`).
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7, fused=FUSED_ADAM)
    model, x_t = prepare(model, x, channels_last=channels_last, compile=compile)
    y_t = torch.from_numpy(y)
    losses = []
    for epoch in range(epochs):
        model.train()
        order = torch.from_numpy(np.random.default_rng([seed, epoch]).permutation(len(x)))
        total = 0.0
        for start in range(0, len(x), batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                out = model(x_t[idx])
            loss = loss_fn(out.float(), y_t[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        losses.append(total / len(x))
        if on_epoch_end is not None:
            on_epoch_end(epoch)
    return losses


def train_speedrun(
    x: np.ndarray,
    y: np.ndarray,
    *,
    seed: int,
    batch_size: int,
    peak_learning_rate: float,
    warmup_fraction: float,
    beta_1: float,
    beta_2: float,
    channels_last: bool,
    bf16: bool,
) -> tuple[nn.Module, float]:
    """One epoch of the speedrun recipe in native PyTorch: Adam, OneCycleLR without momentum
    cycling, linear annealing (as keraslab's Keras schedule); returns (model, training seconds)."""
    import time

    torch.manual_seed(seed)
    model, x_t = prepare(SpeedrunCNN(), x, channels_last=channels_last)
    y_t = torch.from_numpy(y.astype("int64"))
    steps = -(-len(x) // batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=peak_learning_rate, betas=(beta_1, beta_2), fused=FUSED_ADAM)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=peak_learning_rate,
        total_steps=steps,
        pct_start=warmup_fraction,
        anneal_strategy="linear",
        cycle_momentum=False,
    )
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    model.train()
    order = torch.from_numpy(np.random.default_rng([seed, 0]).permutation(len(x)))
    for i in range(steps):
        idx = order[i * batch_size : (i + 1) * batch_size]
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = model(x_t[idx])
        loss_fn(out.float(), y_t[idx]).backward()
        optimizer.step()
        schedule.step()
    return model, time.perf_counter() - start


@torch.no_grad()
def predict(model: nn.Module, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    model.eval()
    return torch.cat([model(torch.from_numpy(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]).numpy()


def copy_keras_simple_cnn(keras_model, twin: SimpleCNN) -> SimpleCNN:
    """Load a Keras Simple CNN's weights into the twin (NHWC kernels -> NCHW; flatten order h,w,c -> c,h,w)."""
    w = keras_model.get_weights()
    convs = [m for m in twin.features if isinstance(m, nn.Conv2d)]
    dense = [m for m in twin.classifier if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for i, conv in enumerate(convs):
            conv.weight.copy_(torch.from_numpy(w[2 * i].transpose(3, 2, 0, 1).copy()))
            conv.bias.copy_(torch.from_numpy(w[2 * i + 1]))
        k = w[6].reshape(3, 3, 64, 64).transpose(2, 0, 1, 3).reshape(576, 64)  # rows (h,w,c) -> (c,h,w)
        dense[0].weight.copy_(torch.from_numpy(k.T.copy()))
        dense[0].bias.copy_(torch.from_numpy(w[7]))
        dense[1].weight.copy_(torch.from_numpy(w[8].T.copy()))
        dense[1].bias.copy_(torch.from_numpy(w[9]))
    return twin


def copy_keras_mlp(keras_model, twin: MoonsMLP) -> MoonsMLP:
    w = keras_model.get_weights()
    layers = [m for m in twin.net if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for i, lin in enumerate(layers):
            lin.weight.copy_(torch.from_numpy(w[2 * i].T.copy()))
            lin.bias.copy_(torch.from_numpy(w[2 * i + 1]))
    return twin
