"""The four demo scripts a learner reads: the Keras code is in the open, it is the same network as
the package's builders (so the two never drift), and each demo executes as a notebook in a real
Jupyter kernel with its figures inline. The committed notebooks match the demo sources."""

import ast
import os
import re

import pytest

from conftest import REPO

DEMOS = (
    "keras_sequential_demo.py",
    "keras_functional_demo.py",
    "keras_callbacks_demo.py",
    "keras_cnn_mnist.py",
    "keras_vs_pytorch.py",
)
#: calls that train, evaluate, load data, draw or print: a definitions-only load skips them
ACTIONS = {
    "fit",
    "evaluate",
    "predict",
    "compile",
    "summary",
    "plot_model",
    "savefig",
    "show",
    "subplots",
    "run",
    "makedirs",
    "set_weights",
    "print",
    "load_mnist",
    "load_iris",
    "load_digits",
    "make_moons",
    "train_test_split",
    "mkdtemp",
    "display",
    "count_params",
}


def _is_action(node) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in ACTIONS:
                return True
    return False


def _mentions_keras(node) -> bool:
    """An assignment that builds part of a model: it calls something from keras or layers."""
    return any(isinstance(n, ast.Name) and n.id in ("keras", "layers") for n in ast.walk(node))


def definitions(script: str) -> dict:
    """The demo's imports, functions, classes and model-building assignments, executed without
    any training, data loading or drawing."""
    tree = ast.parse((REPO / script).read_text())
    ns: dict = {"__name__": "demo_definitions"}
    for node in tree.body:
        builds = isinstance(node, ast.Assign) and not _is_action(node) and _mentions_keras(node)
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)) or builds:
            code = compile(ast.Module([node], type_ignores=[]), script, "exec")
            try:
                exec(code, ns)
            except NameError:  # depends on data this load does not produce
                pass
    return ns


def architecture(model):
    """What makes two models the same network: each layer's class, config (names aside), shape."""
    import keras

    out = []
    for layer in model.layers:
        config = {k: v for k, v in layer.get_config().items() if k not in ("name", "seed")}
        shape = keras.tree.map_structure(lambda t: tuple(t.shape), layer.output) if hasattr(layer, "output") else None
        out.append((type(layer).__name__, config, shape))
    return out, model.count_params()


def same_network(a, b):
    arch_a, params_a = architecture(a)
    arch_b, params_b = architecture(b)
    assert params_a == params_b
    assert [x[0] for x in arch_a] == [x[0] for x in arch_b]
    assert arch_a == arch_b


@pytest.mark.parametrize("script", DEMOS)
def test_demo_reads_top_to_bottom_without_package_plumbing(script):
    text = (REPO / script).read_text()
    assert text.startswith("# %% [markdown]")
    headings = " ".join(l for l in text.splitlines() if l.startswith("# ## ")).lower()
    for section in ("Setup", "Data", "Model", "Train", "Evaluate", "Plots"):
        if script == "keras_vs_pytorch.py" and section in ("Evaluate", "Plots"):
            continue  # its figures sit beside the comparisons they draw
        assert section.lower() in headings, f"{script} lacks a visible {section} heading"
    for plumbing in ("RunStore", "execute(", "plots_dir_for", "keraslab.cli", "keraslab.demo", "noqa: E402"):
        assert plumbing not in text, plumbing
    assert "keras.Sequential(" in text or "keras.Model(" in text or "keras.Input(" in text


@pytest.mark.parametrize("script", DEMOS)
def test_lesson_explains_every_code_cell_and_says_how_it_was_run(script):
    """A lesson reads like a document: a markdown cell before every code cell (no hidden cell
    titles), at least 600 words of visible prose, and the profile and epochs stated near the top."""
    from keraslab import notebooks

    nb = notebooks.read_demo(REPO / script)
    cells = nb.cells
    assert cells[0].cell_type == "markdown"
    for before, cell in zip(cells, cells[1:]):
        if cell.cell_type == "code":
            assert before.cell_type == "markdown", f"{script}: a code cell without prose: {cell.source[:60]!r}"
            assert not cell.get("metadata", {}).get("title"), "a cell title is hidden metadata, not a heading"
    prose = " ".join(c.source for c in cells if c.cell_type == "markdown")
    words = len(re.findall(r"[A-Za-z][A-Za-z'-]*", prose))
    assert words >= 600, f"{script}: {words} words of prose"
    intro = cells[0].source
    assert "How this copy was run" in intro and "profile" in intro and "epoch" in intro
    first_code = next(c.source for c in cells if c.cell_type == "code")
    assert "PROFILE" in first_code and "print(" in first_code and "EPOCHS" in first_code


def test_sequential_demo_models_are_the_packages():
    from keraslab.models.sequential import build_iris_mlp, build_moons_mlp

    ns = definitions("keras_sequential_demo.py")
    same_network(ns["build_moons_model"](), build_moons_mlp())
    same_network(ns["iris_model"], build_iris_mlp())


def test_functional_demo_models_are_the_packages():
    import numpy as np

    from keraslab.models import functional as F
    from keraslab.models.sequential import build_moons_mlp

    text = (REPO / "keras_functional_demo.py").read_text()
    for code in ("keras.Input(", "layers.Concatenate", "layers.Add", "class CustomModel(keras.Model)", "loss_weights"):
        assert code in text
    ns = definitions("keras_functional_demo.py")
    for name in ("simple", "branching", "residual"):
        same_network(ns[f"build_{name}"](), getattr(F, f"build_{name}")())
    same_network(ns["multi_io"], F.build_multi_io())
    same_network(ns["sequential"], build_moons_mlp())
    same_network(ns["functional"], F.functional_twin_of_moons_mlp())
    x = np.zeros((2, 4), dtype="float32")
    ours, theirs = ns["CustomModel"](), F.CustomModel()
    ours(x), theirs(x)
    same_network(ours, theirs)


def test_callbacks_demo_model_and_custom_callback_match_the_packages():
    from keraslab.callbacks import TrainingTimeCallback
    from keraslab.experiments.callbacks import build_model

    text = (REPO / "keras_callbacks_demo.py").read_text()
    for code in (
        "class TrainingTimeCallback(keras.callbacks.Callback)",
        "EarlyStopping(",
        "ModelCheckpoint(",
        "ReduceLROnPlateau(",
        "LearningRateScheduler(",
    ):
        assert code in text
    ns = definitions("keras_callbacks_demo.py")
    same_network(ns["build_model"](), build_model())
    for cb in (ns["TrainingTimeCallback"](), TrainingTimeCallback()):  # the same hooks, the same record
        for _ in range(2):
            cb.on_train_begin()
            for epoch in range(3):
                cb.on_epoch_begin(epoch)
                cb.on_epoch_end(epoch, {})
            assert len(cb.epoch_times) == 3 and all(t >= 0 for t in cb.epoch_times)


def test_cnn_demo_models_are_the_packages():
    from keraslab.models.cnn import build_improved_cnn, build_simple_cnn

    ns = definitions("keras_cnn_mnist.py")
    same_network(ns["simple_cnn"], build_simple_cnn())
    same_network(ns["improved_cnn"], build_improved_cnn())
    assert ns["simple_cnn"].count_params() == 93_322


def test_keras_vs_pytorch_lesson_models_are_the_packages():
    from keraslab.models.cnn import build_simple_cnn
    from keraslab.models.torch_models import SimpleCNN, count_params

    text = (REPO / "keras_vs_pytorch.py").read_text()
    for code in (
        "class TorchCNN(nn.Module)",
        "optimizer.zero_grad()",
        "loss.backward()",
        "train_on_batch",
        '"KERAS_BACKEND": "torch"',
    ):
        assert code in text
    ns = definitions("keras_vs_pytorch.py")
    same_network(ns["build_keras_cnn"](), build_simple_cnn())
    assert count_params(ns["TorchCNN"]()) == count_params(SimpleCNN()) == 93_322


def test_committed_notebooks_match_the_demo_sources():
    from keraslab import notebooks

    problems = [
        p for d in DEMOS for p in notebooks.out_of_sync(REPO / d, REPO / "notebooks" / d.replace(".py", ".ipynb"))
    ]
    assert problems == []


#: each lesson's exercise file and the name of its exercises in keraslab.exercises
EXERCISES = {
    "keras_sequential_demo.py": ("keras_sequential_exercises.py", "sequential"),
    "keras_functional_demo.py": ("keras_functional_exercises.py", "functional"),
    "keras_callbacks_demo.py": ("keras_callbacks_exercises.py", "callbacks"),
    "keras_cnn_mnist.py": ("keras_cnn_exercises.py", "cnn"),
    "keras_vs_pytorch.py": ("keras_vs_pytorch_exercises.py", "keras_vs_pytorch"),
}


@pytest.mark.integration
@pytest.mark.parametrize("script", DEMOS)
def test_lesson_and_its_exercises_execute_in_a_jupyter_kernel(script, tmp_path):
    """nbclient runs, in one real Jupyter kernel (smoke sizes), the lesson as a learner would, then
    its exercise file untouched, then the exercise file with the solutions filled in; no cell may
    fail. The lesson's figures are inline (and saved for a terminal user); untouched, every check
    prints *not attempted*; solved, every check prints *correct* — this is where the solutions
    that train are checked, the CNN's among them. One kernel for all three saves a kernel start
    and the imports twice per lesson."""
    from keraslab import exercises, notebooks

    exercise_file, lesson = EXERCISES[script]
    source = REPO / "exercises" / exercise_file
    combined = tmp_path / script
    combined.write_text((REPO / script).read_text() + "\n" + source.read_text() + "\n" + exercises.solved(source))
    nb = notebooks.execute(combined, profile="smoke", cwd=tmp_path, env={"KERASLAB_HOME": str(tmp_path / "home")})
    mimes, errors = notebooks.outputs_of(nb)
    assert errors == []
    assert "image/png" in mimes  # figures are inline, not only files
    assert any(p.suffix == ".png" for p in (tmp_path / "plots").iterdir())  # and saved for a terminal user
    assert not os.environ.get("KERASLAB_PROFILE")  # the kernel's environment did not leak back
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout")
    verdicts = [line for line in text.splitlines() if line.startswith("Exercise ")]
    n = len(exercises.lesson(lesson).exercises)
    assert len(verdicts) == 2 * n, text[-2000:]
    assert all("not attempted" in v for v in verdicts[:n]), verdicts[:n]
    assert all(": correct" in v for v in verdicts[n:]), verdicts[n:]
