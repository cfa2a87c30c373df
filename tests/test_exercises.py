"""The exercises check the learner's own work: every reference solution passes, typical wrong
answers fail with their own one-sentence message, a blank is *not attempted*. The exercise files
run in a real Jupyter kernel untouched and solved, right after their lesson:
``test_demos.py::test_lesson_and_its_exercises_execute_in_a_jupyter_kernel``."""

import json
import re
import textwrap

import pytest

from conftest import REPO, run_cli
from keraslab import exercises

FILES = {
    "sequential": "keras_sequential_exercises.py",
    "functional": "keras_functional_exercises.py",
    "callbacks": "keras_callbacks_exercises.py",
    "cnn": "keras_cnn_exercises.py",
    "keras_vs_pytorch": "keras_vs_pytorch_exercises.py",
}
PRELUDE = """
import keras, numpy as np, torch
from keras import layers
from torch import nn
from sklearn.datasets import make_moons
x, y = make_moons(n_samples=1000, noise=0.3, random_state=0)
x_train, y_train = x[:800].astype("float32"), y[:800]
def mlp(last=1, act="sigmoid", hidden=(16, 8), inputs=2):
    return keras.Sequential([keras.Input(shape=(inputs,))] + [layers.Dense(h, activation="relu") for h in hidden]
                            + [layers.Dense(last, activation=act)])
def fake_history(val_loss, loss):
    h = keras.callbacks.History(); h.history = {"val_loss": val_loss, "loss": loss}; h.epoch = list(range(len(loss)))
    return h
"""


@pytest.fixture(autouse=True)
def private_status_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASLAB_HOME", str(tmp_path / "home"))


def check(exercise_id: str, code: str) -> tuple[str, str]:
    name, number = exercise_id.split(".")
    exercise = next(e for e in exercises.lesson(name).exercises if e.number == int(number))
    namespace: dict = {}
    exec(PRELUDE, namespace)
    exec(textwrap.dedent(code), namespace)
    return exercises.run_check(exercise, namespace)


#: (exercise, the learner's code, words its message must contain): wrong answers, two or more each
WRONG = [
    ("sequential.1", "moons_model = mlp(last=3, act='softmax')", "3 units with softmax, but moons has two classes"),
    ("sequential.1", "moons_model = mlp(hidden=(32, 8))", "16, then 8, then 1"),
    (
        "sequential.1",
        "moons_model = keras.Sequential([layers.Dense(16), layers.Dense(1, activation='sigmoid')])",
        "no input shape yet",
    ),
    (
        "sequential.1",
        "moons_model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(16, activation='tanh'),"
        " layers.Dense(8, activation='relu'), layers.Dense(1, activation='sigmoid')])",
        "uses relu in both",
    ),
    ("sequential.1", "moons_model = mlp", "not a Keras model"),
    ("sequential.2", "iris_model = mlp(last=1, act='sigmoid', inputs=4)", "one sigmoid unit, which answers a yes/no"),
    ("sequential.2", "iris_model = mlp(last=3, act='softmax', inputs=4)", "not compiled yet"),
    (
        "sequential.2",
        "iris_model = mlp(last=3, act='softmax', inputs=4)\n"
        "iris_model.compile(optimizer='adam', loss='categorical_crossentropy')",
        "expects one-hot labels",
    ),
    ("sequential.2", "iris_model = mlp(last=3, act='relu', inputs=4)", "outputs are not probabilities"),
    ("sequential.3", "history = {'val_loss': [1.0]}\nbest_epoch = 1", "should be what fit returns"),
    (
        "sequential.3",
        "history = fake_history([0.9, 0.5, 0.7], [0.9, 0.6, 0.4])\nbest_epoch = 1",
        "one less than the epoch with the lowest val_loss (2)",
    ),
    (
        "sequential.3",
        "history = fake_history([0.9, 0.5, 0.7], [0.9, 0.6, 0.4])\nbest_epoch = 3",
        "lowest training loss",
    ),
    (
        "sequential.3",
        "h = keras.callbacks.History(); h.history = {'loss': [0.5]}\nhistory = h\nbest_epoch = 1",
        "pass validation_split=0.2",
    ),
    (
        "sequential.4",
        "adagrad_model = mlp()\nadagrad_model.compile(optimizer='adagrad', loss='binary_crossentropy')",
        "default learning rate 0.001",
    ),
    (
        "sequential.4",
        "adagrad_model = mlp()\nadagrad_model.compile(optimizer='adam', loss='binary_crossentropy')",
        "optimizer is Adam",
    ),
    (
        "sequential.4",
        "adagrad_model = mlp()\nadagrad_model.compile(optimizer=keras.optimizers.Adagrad(0.05), "
        "loss='binary_crossentropy')",
        "below 0.85 (learning rate 0.05)",
    ),
    ("functional.1", "branching_model = mlp(last=3, act='softmax', inputs=4)", "cannot branch"),
    (
        "functional.1",
        "i = keras.Input(shape=(4,)); a = layers.Dense(8)(i); b = layers.Dense(8)(a)\n"
        "branching_model = keras.Model(i, layers.Dense(3, activation='softmax')(layers.Concatenate()([a, b])))",
        "not two branches of the input",
    ),
    (
        "functional.1",
        "i = keras.Input(shape=(4,)); a = layers.Dense(8)(i)\n"
        "branching_model = keras.Model(i, layers.Dense(3, activation='softmax')(layers.Dense(8)(a)))",
        "no Concatenate layer",
    ),
    (
        "functional.2",
        """
        s = keras.Input(shape=(2,), name="sepal"); p = keras.Input(shape=(2,), name="petal")
        h = layers.Concatenate()([layers.Dense(8)(s), layers.Dense(8)(p)])
        multi_io_model = keras.Model({"sepal": s, "petal": p}, {
            "main": layers.Dense(3, activation="softmax", name="main")(h),
            "aux": layers.Dense(3, activation="softmax", name="aux")(h)})
        multi_io_model.compile(optimizer="adam", loss={"main": "sparse_categorical_crossentropy",
                               "aux": "sparse_categorical_crossentropy"})
        """,
        "no loss_weights",
    ),
    (
        "functional.2",
        """
        s = keras.Input(shape=(2,), name="sepal"); p = keras.Input(shape=(2,), name="petal")
        h = layers.Concatenate()([layers.Dense(8)(s), layers.Dense(8)(p)])
        multi_io_model = keras.Model({"sepal": s, "petal": p}, {
            "main": layers.Dense(3, activation="softmax", name="main")(h),
            "aux": layers.Dense(3, activation="softmax", name="aux")(h)})
        multi_io_model.compile(optimizer="adam", loss={"main": "sparse_categorical_crossentropy",
                               "aux": "sparse_categorical_crossentropy"}, loss_weights={"main": 0.2, "aux": 1.0})
        """,
        "give it the smaller, positive weight",
    ),
    (
        "functional.2",
        """
        s = keras.Input(shape=(2,)); p = keras.Input(shape=(2,))
        multi_io_model = keras.Model([s, p], layers.Dense(3)(layers.Concatenate()([s, p])))
        """,
        "two inputs named 'sepal' and 'petal'",
    ),
    ("functional.3", "IrisClassifier = mlp(last=3, act='softmax', inputs=4)", "should be a class"),
    (
        "functional.3",
        """
        class IrisClassifier(keras.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.out = layers.Dense(1, activation="sigmoid")
            def call(self, x):
                return self.out(x)
        """,
        "it should be (5, 3)",
    ),
    (
        "functional.3",
        """
        class IrisClassifier(keras.Model):
            def call(self, x):
                return layers.Dense(3, activation="softmax")(x)
        """,
        "create the layers in __init__",
    ),
    (
        "callbacks.1",
        "early_stopping = keras.callbacks.EarlyStopping(monitor='val_loss', patience=5)",
        "restore_best_weights is False",
    ),
    (
        "callbacks.1",
        "early_stopping = keras.callbacks.EarlyStopping(monitor='val_loss', patience=0, restore_best_weights=True)",
        "patience=0 stops at the first epoch",
    ),
    (
        "callbacks.1",
        "early_stopping = keras.callbacks.EarlyStopping(monitor='loss', patience=5, restore_best_weights=True)",
        "watch 'val_loss'",
    ),
    (
        "callbacks.1",
        "early_stopping = keras.callbacks.EarlyStopping(monitor='val_loss', patience=5, mode='max', "
        "restore_best_weights=True)",
        "check mode",
    ),
    (
        "callbacks.2",
        """
        class StopAtAccuracy(keras.callbacks.Callback):
            def __init__(self, threshold):
                super().__init__(); self.threshold = threshold
            def on_epoch_end(self, epoch, logs=None):
                if logs["accuracy"] >= self.threshold:
                    self.model.stop_training = True
        """,
        "not the training accuracy",
    ),
    (
        "callbacks.2",
        """
        class StopAtAccuracy(keras.callbacks.Callback):
            def __init__(self, threshold):
                super().__init__(); self.threshold = threshold
            def on_epoch_end(self, epoch, logs=None):
                if logs["val_accuracy"] > self.threshold:
                    self.model.stop_training = True
        """,
        "(>= counts)",
    ),
    (
        "callbacks.2",
        """
        class StopAtAccuracy(keras.callbacks.Callback):
            def __init__(self, threshold):
                super().__init__(); self.threshold = threshold
            def on_epoch_end(self, epoch, logs=None):
                if logs["val_accuracy"] >= self.threshold:
                    self.model.stop_training = True
        """,
        "use logs.get('val_accuracy')",
    ),
    (
        "callbacks.2",
        """
        class StopAtAccuracy(keras.callbacks.Callback):
            def __init__(self, threshold):
                super().__init__(); self.threshold = threshold
            def on_epoch_end(self, epoch, logs=None):
                if (logs or {}).get("val_accuracy", 0) >= 0.9:
                    self.model.stop_training = True
        """,
        "use self.threshold",
    ),
    (
        "callbacks.3",
        "def schedule(epoch, lr):\n    return 1e-3 if epoch < 19 else 1e-4 if epoch < 39 else 1e-5\n"
        "lr_callback = keras.callbacks.LearningRateScheduler(schedule)",
        "Keras counts epochs from 0",
    ),
    (
        "callbacks.3",
        "def schedule(epoch, lr):\n    return lr * 0.1 if epoch >= 20 else lr\n"
        "lr_callback = keras.callbacks.LearningRateScheduler(schedule)",
        "multiplies the current rate again",
    ),
    (
        "callbacks.3",
        "def schedule(epoch, lr):\n    return 1e-3 if epoch < 20 else 1e-4 if epoch < 40 else 1e-5\n"
        "lr_callback = schedule",
        "wrap the function",
    ),
    ("cnn.1", "conv_params = 3 * 3 * 32 * 64\ndense_params = 577 * 64", "the weights only"),
    ("cnn.1", "conv_params = (3 * 3 + 1) * 64\ndense_params = 577 * 64", "as if each filter saw one channel"),
    ("cnn.1", "conv_params = (3 * 3 * 32 + 1) * 64\ndense_params = 576 * 64", "each of the 64 units also has a bias"),
    ("cnn.2", "flatten_size = 7 * 7 * 64\nimproved_dense_params = (flatten_size + 1) * 512", "padding='same'"),
    (
        "cnn.2",
        "flatten_size = 5 * 5 * 64\nimproved_dense_params = (flatten_size + 1) * 512",
        "count every conv's shrink",
    ),
    ("cnn.2", "flatten_size = 4 * 4 * 64\nimproved_dense_params = flatten_size * 512", "add the 512 biases"),
    (
        "cnn.3",
        "cnn_model = mlp(inputs=784, last=10, act='softmax')\ncnn_history = None",
        "should take images of shape (28, 28, 1)",
    ),
    (
        "cnn.3",
        "cnn_model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Flatten(), "
        "layers.Dense(10, activation='softmax')])\nh = keras.callbacks.History(); h.epoch = list(range(5))\n"
        "cnn_history = h",
        "the budget is at most 3",
    ),
    (
        "cnn.3",
        "cnn_model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Flatten(), "
        "layers.Dense(10, activation='softmax')])\nh = keras.callbacks.History(); h.epoch = [0]\ncnn_history = h",
        "is below 0.99",
    ),
    (
        "cnn.4",
        "def confusion_matrix(t, p):\n    m = np.zeros((10, 10), int); np.add.at(m, (p, t), 1); return m",
        "rows and columns are swapped",
    ),
    (
        "cnn.4",
        "def confusion_matrix(t, p):\n    m = np.zeros((10, 10)); np.add.at(m, (t, p), 1)\n"
        "    return m / m.sum(axis=1, keepdims=True)",
        "counts of images",
    ),
    ("cnn.4", "def confusion_matrix(t, p):\n    return np.zeros((9, 9), int)", "is 10x10"),
    (
        "keras_vs_pytorch.1",
        """
        class TorchMoonsMLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1),
                                         nn.Sigmoid())
            def forward(self, x):
                return self.net(x)
        """,
        "ends with nn.Sigmoid",
    ),
    (
        "keras_vs_pytorch.1",
        """
        class TorchMoonsMLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(2, 16), nn.Linear(16, 8), nn.Linear(8, 1))
            def forward(self, x):
                return self.net(x)
        """,
        "no ReLU between the Linear layers",
    ),
    (
        "keras_vs_pytorch.1",
        """
        class TorchMoonsMLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1))
            def forward(self, x):
                return self.net(x)
        """,
        "(2, 16), (16, 8), (8, 1)",
    ),
    (
        "keras_vs_pytorch.2",
        """
        def copy_keras_to_torch(k, t):
            dense = [l for l in k.layers if isinstance(l, keras.layers.Dense)]
            linear = [m for m in t.modules() if isinstance(m, nn.Linear)]
            with torch.no_grad():
                for d, lin in zip(dense, linear):
                    kernel, bias = d.get_weights()
                    lin.weight.copy_(torch.from_numpy(kernel)); lin.bias.copy_(torch.from_numpy(bias))
        """,
        "copy the kernel's transpose",
    ),
    (
        "keras_vs_pytorch.2",
        """
        def copy_keras_to_torch(k, t):
            dense = [l for l in k.layers if isinstance(l, keras.layers.Dense)]
            linear = [m for m in t.modules() if isinstance(m, nn.Linear)]
            with torch.no_grad():
                for d, lin in zip(dense, linear):
                    lin.weight.copy_(torch.from_numpy(d.get_weights()[0].T.copy()))
        """,
        "not the biases",
    ),
    ("keras_vs_pytorch.2", "def copy_keras_to_torch(k, t):\n    pass", "did not change"),
    (
        "keras_vs_pytorch.3",
        """
        def train_step(model, optimizer, loss_fn, x, y):
            loss = loss_fn(model(x), y); loss.backward(); optimizer.step(); return loss.item()
        """,
        "call optimizer.zero_grad() before loss.backward()",
    ),
    (
        "keras_vs_pytorch.3",
        """
        def train_step(model, optimizer, loss_fn, x, y):
            optimizer.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); return loss.item()
        """,
        "call optimizer.step()",
    ),
    (
        "keras_vs_pytorch.3",
        """
        def train_step(model, optimizer, loss_fn, x, y):
            optimizer.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); optimizer.step(); return loss
        """,
        "return loss.item()",
    ),
]


@pytest.mark.parametrize("exercise_id, code, words", WRONG, ids=[f"{w[0]}-{i}" for i, w in enumerate(WRONG)])
def test_a_typical_wrong_answer_fails_with_its_own_message(exercise_id, code, words):
    status, message = check(exercise_id, code)
    assert status == "incorrect", message
    assert words in message
    assert not re.search(r"[.!?] [A-Z]", message) and "\n" not in message  # one sentence


def test_every_exercise_has_two_wrong_answers_hints_and_a_solution():
    ids = [e.id for name in exercises.LESSONS for e in exercises.lesson(name).exercises]
    assert len(ids) >= 15 and len(exercises.LESSONS) >= 5
    for exercise_id in ids:
        assert sum(w[0] == exercise_id for w in WRONG) >= 2, exercise_id
    for name in exercises.LESSONS:
        for e in exercises.lesson(name).exercises:
            assert e.hints and e.solution and e.title


#: solutions that need no training (those that train are checked by the solved files' kernel run)
CHEAP = [
    "sequential.1",
    "sequential.2",
    "functional.1",
    "functional.2",
    "functional.3",
    "callbacks.1",
    "callbacks.2",
    "callbacks.3",
    "cnn.1",
    "cnn.2",
    "cnn.4",
    "keras_vs_pytorch.1",
    "keras_vs_pytorch.2",
    "keras_vs_pytorch.3",
]


@pytest.mark.parametrize("exercise_id", CHEAP)
def test_the_reference_solution_is_correct(exercise_id):
    name, number = exercise_id.split(".")
    exercise = next(e for e in exercises.lesson(name).exercises if e.number == int(number))
    status, message = check(exercise_id, exercise.solution)
    assert status == "correct", message


def test_a_blank_is_not_attempted_and_statuses_are_kept_outside_the_repo(tmp_path):
    exercise = exercises.lesson("sequential").exercises[0]
    assert exercises.run_check(exercise, {"moons_model": exercises.____})[0] == "not attempted"
    assert exercises.run_check(exercise, {})[0] == "not attempted"
    assert (
        exercises.run_check(
            exercises.lesson("callbacks").exercises[2], {"schedule": exercises.____, "lr_callback": None}
        )[0]
        == "not attempted"
    )
    ns = {}
    exec(PRELUDE + "\nmoons_model = mlp()", ns)
    ex = exercises.start("sequential", ns)
    assert ex.q1.check() == "correct"
    assert exercises.status_file() == tmp_path / "home" / "exercises.json"
    assert json.loads(exercises.status_file().read_text()) == {"sequential.1": "correct"}
    lines = exercises.listing()
    assert lines[0].split()[0] == "sequential.1" and lines[0].endswith("correct")
    assert lines[1].endswith("not attempted")
    assert len(lines) == sum(len(exercises.lesson(n).exercises) for n in exercises.LESSONS)


def test_a_learners_exception_is_an_answer_not_a_crash():
    status, message = check("cnn.4", "def confusion_matrix(t, p):\n    raise RuntimeError('oops')")
    assert status == "incorrect" and "raised RuntimeError: oops" in message


def test_solved_replaces_exactly_the_answer_cells():
    for name, file in FILES.items():
        text = exercises.solved(REPO / "exercises" / file)
        assert "= ____" not in text, file
        for e in exercises.lesson(name).exercises:
            assert e.solution.splitlines()[0] in text


@pytest.mark.integration
def test_check_says_not_attempted_for_a_blank_file_and_reads_a_solved_notebook(tmp_path):
    """`keraslab check` on an untouched .py (every exercise *not attempted*, exit 1) and on a
    solved .ipynb (converted by Jupytext: all correct); then each alone: exit 1 and exit 0.
    `keraslab exercises` lists the statuses it kept."""
    import jupytext

    home = {"KERASLAB_HOME": str(tmp_path / "home")}
    solved = tmp_path / "solved.py"
    solved.write_text(exercises.solved(REPO / "exercises" / FILES["callbacks"]))
    notebook = tmp_path / "solved.ipynb"
    jupytext.write(jupytext.read(solved), notebook)
    untouched = REPO / "exercises" / FILES["functional"]
    proc = run_cli("check", untouched, notebook, env=home)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    blank = [line for line in lines if line.startswith("functional.")]
    assert len(blank) == 3 and all("not attempted" in line for line in blank)
    assert "0 of 3 correct" in proc.stdout and "3 of 3 correct" in proc.stdout
    assert all(": correct" in line for line in lines if line.startswith("callbacks."))
    listed = run_cli("exercises", env=home)
    assert listed.returncode == 0
    status = {
        line.split()[0]: line.rsplit("  ", 1)[-1].strip()
        for line in listed.stdout.splitlines()
        if "." in line.split()[0]
    }
    assert status["callbacks.1"] == "correct" and status["functional.1"] == "not attempted"
    assert run_cli("check", notebook, env=home).returncode == 0
