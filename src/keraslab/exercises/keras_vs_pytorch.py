"""Exercises for lesson 5, Keras and PyTorch side by side (``exercises/keras_vs_pytorch_exercises.py``)."""

from __future__ import annotations

from keraslab.exercises import Incorrect, Lesson, require

LESSON = Lesson("keras_vs_pytorch", "Lesson 5, Keras and PyTorch side by side")

SHAPES = [(2, 16), (16, 8), (8, 1)]  # the moons MLP's Dense/Linear layers, (inputs, units)


def _linears(module):
    from torch import nn

    return [m for m in module.modules() if isinstance(m, nn.Linear)]


@LESSON.exercise(
    1,
    "Write the moons MLP as a torch.nn.Module",
    names=("TorchMoonsMLP",),
    hints=(
        "class TorchMoonsMLP(nn.Module): build the layers in __init__ (after super().__init__()) and apply them in "
        "forward(self, x). nn.Linear(in_features, out_features) is PyTorch's Dense, nn.ReLU() its relu.",
        "nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1)); no sigmoid at the "
        "end: nn.BCEWithLogitsLoss takes logits.",
    ),
    solution="""
    class TorchMoonsMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1))

        def forward(self, x):
            return self.net(x)  # logits: the loss applies the sigmoid
    """,
)
def check_torch_mlp(TorchMoonsMLP):
    import torch
    from torch import nn

    require(
        isinstance(TorchMoonsMLP, type) and issubclass(TorchMoonsMLP, nn.Module),
        "TorchMoonsMLP should be a class that subclasses torch.nn.Module",
    )
    model = TorchMoonsMLP()
    shapes = [(m.in_features, m.out_features) for m in _linears(model)]
    require(shapes == SHAPES, f"its Linear layers are {shapes}; the moons MLP's are (2, 16), (16, 8), (8, 1) (in, out)")
    modules = [m for m in model.modules() if not list(m.children())]
    require(
        sum(isinstance(m, nn.ReLU) for m in modules) >= 2 or "relu" in _source(TorchMoonsMLP),
        "there is no ReLU between the Linear layers: without it three Linear layers are one linear function",
    )
    if modules and isinstance(modules[-1], nn.Sigmoid):
        raise Incorrect("it ends with nn.Sigmoid; nn.BCEWithLogitsLoss, the stable loss, takes logits: leave it out")
    with torch.no_grad():
        out = model(torch.zeros(5, 2))
    require(tuple(out.shape) == (5, 1), f"for 5 points forward returns shape {tuple(out.shape)}; it should be (5, 1)")
    params = sum(p.numel() for p in model.parameters())
    require(params == 193, f"it has {params} parameters; the moons MLP has 193")
    return "193 parameters, logits out: the same network as keras.Sequential's 16-8-1"


def _source(cls) -> str:
    import inspect

    try:
        return inspect.getsource(cls).lower()
    except (OSError, TypeError):
        return ""


@LESSON.exercise(
    2,
    "Copy a Keras model's weights into its PyTorch twin",
    names=("copy_keras_to_torch",),
    hints=(
        "Pair the Keras Dense layers with the torch Linear layers in order; each Dense has kernel and bias "
        "(layer.get_weights()), each Linear has weight and bias.",
        "Keras stores a kernel as (inputs, units), torch.nn.Linear's weight as (units, inputs): copy kernel.T. "
        "Do it under torch.no_grad() with linear.weight.copy_(torch.from_numpy(...)).",
    ),
    solution="""
    def copy_keras_to_torch(keras_model, torch_model):
        dense = [l for l in keras_model.layers if isinstance(l, keras.layers.Dense)]
        linear = [m for m in torch_model.modules() if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for d, lin in zip(dense, linear):
                kernel, bias = d.get_weights()
                lin.weight.copy_(torch.from_numpy(kernel.T.copy()))
                lin.bias.copy_(torch.from_numpy(bias))
    """,
)
def check_copy(copy_keras_to_torch):
    import keras
    import numpy as np
    import torch
    from torch import nn

    require(callable(copy_keras_to_torch), "copy_keras_to_torch should be a function (keras_model, torch_model)")
    keras.utils.set_random_seed(3)
    k = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    k.set_weights([w + np.float32(0.1) for w in k.get_weights()])  # biases non-zero, so forgetting them shows
    t = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1))
    before = [p.detach().clone() for p in t.parameters()]
    try:
        copy_keras_to_torch(k, t)
    except RuntimeError as exc:
        if "size" in str(exc) or "shape" in str(exc):
            raise Incorrect(
                "a shape did not match: Keras stores a Dense kernel as (inputs, units), torch.nn.Linear's weight as "
                "(units, inputs): copy the kernel's transpose"
            ) from None
        raise
    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    with torch.no_grad():
        ours = torch.sigmoid(t(torch.from_numpy(x))).numpy()
    theirs = np.asarray(k.predict(x, verbose=0))
    unchanged = [torch.equal(a, b) for a, b in zip(before, t.parameters())]
    require(not all(unchanged), "the torch model's parameters did not change: copy into them (weight.copy_(...))")
    if any(unchanged[1::2]) and not any(unchanged[0::2]):
        raise Incorrect("the weights were copied but not the biases: copy each Dense layer's bias too")
    diff = float(np.abs(ours - theirs).max())
    require(diff < 1e-5, f"the two models' outputs differ by up to {diff:.2g}: copy every kernel (transposed) and bias")
    return f"the PyTorch twin reproduces the Keras model's outputs within {max(diff, 1e-9):.1g}"


@LESSON.exercise(
    3,
    "Write one PyTorch training step",
    names=("train_step",),
    hints=(
        "What model.fit does for each batch, written out: forward pass, loss, gradients, update — and clearing the "
        "previous batch's gradients, which PyTorch otherwise adds to.",
        "optimizer.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); optimizer.step(); return loss.item()",
    ),
    solution="""
    def train_step(model, optimizer, loss_fn, x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()
    """,
)
def check_train_step(train_step):
    import torch
    from torch import nn

    require(callable(train_step), "train_step should be a function (model, optimizer, loss_fn, x, y)")

    def setup():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
        return model, torch.optim.SGD(model.parameters(), lr=0.1)

    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(32, 2, generator=g), (torch.rand(32, 1, generator=g) > 0.5).float()
    loss_fn = nn.BCEWithLogitsLoss()
    ref_model, ref_opt = setup()
    want = []
    for _ in range(3):
        ref_opt.zero_grad()
        loss = loss_fn(ref_model(x), y)
        loss.backward()
        ref_opt.step()
        want.append(loss.item())
    model, opt = setup()
    start = [p.detach().clone() for p in model.parameters()]
    got = [train_step(model, opt, loss_fn, x, y) for _ in range(3)]
    if any(isinstance(v, torch.Tensor) for v in got):
        raise Incorrect("it returns the loss tensor; return loss.item(), a Python float, so no graph is kept alive")
    require(all(isinstance(v, float) for v in got), f"it returns {type(got[0]).__name__}; return the loss as a float")
    if all(torch.equal(a, b) for a, b in zip(start, model.parameters())):
        raise Incorrect("the weights did not change: call optimizer.step() after loss.backward()")
    require(abs(got[0] - want[0]) < 1e-6, f"the first step's loss is {got[0]:.6f}, a correct step gives {want[0]:.6f}")
    same = all(torch.allclose(a, b, atol=1e-6) for a, b in zip(model.parameters(), ref_model.parameters()))
    require(
        same,
        "the first step matches a correct loop's but the next ones part from it: the gradients accumulate; call "
        "optimizer.zero_grad() before loss.backward()",
    )
    return f"three steps match a reference loop exactly (losses {', '.join(f'{v:.4f}' for v in got)})"
