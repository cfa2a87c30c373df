"""Exercises for lesson 2, the Functional API (``exercises/keras_functional_exercises.py``)."""

from __future__ import annotations

from keraslab.exercises import Incorrect, Lesson, require
from keraslab.exercises import _inspect as inspect

LESSON = Lesson("functional", "Lesson 2, the Functional API")


@LESSON.exercise(
    1,
    "Build the branching model with Concatenate",
    names=("branching_model",),
    hints=(
        "A Sequential model is one chain; a branch needs the Functional API: inputs = keras.Input(shape=(4,)), "
        "then call layers on tensors, and finish with keras.Model(inputs, outputs).",
        "Call two different Dense layers on the same `inputs` tensor, join their outputs with "
        "layers.Concatenate()([a, b]), and put Dense(3, activation='softmax') on the result.",
    ),
    solution="""
    inputs = keras.Input(shape=(4,))
    relu_branch = layers.Dense(32, activation="relu")(inputs)
    tanh_branch = layers.Dense(24, activation="tanh")(inputs)
    merged = layers.Concatenate()([relu_branch, tanh_branch])
    outputs = layers.Dense(3, activation="softmax")(merged)
    branching_model = keras.Model(inputs, outputs)
    """,
)
def check_branching(branching_model):
    import keras

    m = inspect.model(branching_model, "branching_model")
    require(
        not isinstance(m, keras.Sequential),
        "branching_model is a keras.Sequential, which is one chain and cannot branch: use the Functional API "
        "(keras.Input -> layers -> keras.Model)",
    )
    inspect.built(m, "branching_model", 4)
    inspect.head(m, "branching_model", classes=3)
    joins = [layer for layer in m.layers if isinstance(layer, keras.layers.Concatenate)]
    require(joins, "branching_model has no Concatenate layer: join the branches with layers.Concatenate()([a, b])")
    join = joins[0]
    sources = [t._keras_history.operation for t in join.input]
    require(len(sources) >= 2, "the Concatenate layer joins a single tensor: give it a list of two branches")
    require(
        len({id(s) for s in sources}) == len(sources),
        "the Concatenate layer joins the same tensor with itself: give each branch its own Dense layer",
    )
    model_input = m.inputs[0]
    fed = [getattr(s, "input", None) is model_input for s in sources]
    require(
        all(fed),
        "the joined tensors are not two branches of the input: call each branch's Dense layer on the same "
        "`inputs` tensor, side by side, not one after the other",
    )
    return f"{len(sources)} branches from one input joined by Concatenate, {m.count_params()} parameters"


@LESSON.exercise(
    2,
    "Wire a two-input, two-output model with loss_weights",
    names=("multi_io_model",),
    hints=(
        "Two keras.Input tensors named 'sepal' and 'petal' (shape (2,) each), and two output layers named "
        "'main' and 'aux', each Dense(3, activation='softmax'); keras.Model(inputs={...}, outputs={...}).",
        "compile takes dicts keyed by output name: loss={'main': ..., 'aux': ...} and loss_weights={'main': 1.0, "
        "'aux': 0.2}, so the auxiliary head helps training without deciding it.",
    ),
    solution="""
    sepal = keras.Input(shape=(2,), name="sepal")
    petal = keras.Input(shape=(2,), name="petal")
    s = layers.Dense(16, activation="relu")(sepal)
    p = layers.Dense(16, activation="relu")(petal)
    aux = layers.Dense(3, activation="softmax", name="aux")(s)
    h = layers.Dense(16, activation="relu")(layers.Concatenate()([s, p]))
    main = layers.Dense(3, activation="softmax", name="main")(h)
    multi_io_model = keras.Model(inputs={"sepal": sepal, "petal": petal}, outputs={"main": main, "aux": aux})
    multi_io_model.compile(
        optimizer="adam",
        loss={"main": "sparse_categorical_crossentropy", "aux": "sparse_categorical_crossentropy"},
        loss_weights={"main": 1.0, "aux": 0.2},
        metrics={"main": ["accuracy"]},
    )
    """,
)
def check_multi_io(multi_io_model):
    import numpy as np

    m = inspect.model(multi_io_model, "multi_io_model")
    names = sorted(t.name for t in m.inputs)
    require(
        names == ["petal", "sepal"],
        f"the model's inputs are named {names}: two inputs named 'sepal' and 'petal' "
        "(keras.Input(shape=(2,), name='sepal'))",
    )
    outputs = sorted(m.output_names)
    require(
        outputs == ["aux", "main"],
        f"the model's outputs are named {outputs}: two outputs named 'main' and 'aux' (name= on their Dense layers)",
    )
    for t in m.inputs:
        require(
            tuple(t.shape[1:]) == (2,), f"the input {t.name!r} has shape {tuple(t.shape[1:])}; each takes 2 numbers"
        )
    inspect.compiled(m, "multi_io_model")
    weights = (getattr(m, "_compile_config", None) and m._compile_config.config.get("loss_weights")) or None
    require(
        weights is not None,
        "compile has no loss_weights, so both losses count equally: weight the auxiliary output less, "
        "e.g. loss_weights={'main': 1.0, 'aux': 0.2}",
    )
    if isinstance(weights, (list, tuple)):
        raise Incorrect("loss_weights is a list, whose order is easy to get wrong: key it by output name")
    require(set(weights) == {"main", "aux"}, f"loss_weights names {sorted(weights)}; name the outputs 'main' and 'aux'")
    require(
        0 < weights["aux"] < weights["main"],
        f"the aux loss weighs {weights['aux']} against main's {weights['main']}: the auxiliary head should shape "
        "training, not decide it; give it the smaller, positive weight",
    )
    x = np.zeros((3, 2), dtype="float32")
    out = m.predict({"sepal": x, "petal": x}, verbose=0)
    for name in ("main", "aux"):
        shape = tuple(np.asarray(out[name]).shape)
        require(shape == (3, 3), f"the {name!r} output has shape {shape} for 3 flowers; it should be (3, 3)")
    return f"inputs sepal and petal, outputs main and aux, loss_weights main {weights['main']} / aux {weights['aux']}"


@LESSON.exercise(
    3,
    "Subclass keras.Model",
    names=("IrisClassifier",),
    hints=(
        "class IrisClassifier(keras.Model): create the layers in __init__ (after super().__init__(**kwargs)) and "
        "use them in call(self, inputs).",
        "Two layers are enough: Dense(32, activation='relu') and Dense(3, activation='softmax').",
    ),
    solution="""
    class IrisClassifier(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = layers.Dense(32, activation="relu")
            self.out = layers.Dense(3, activation="softmax")

        def call(self, inputs):
            return self.out(self.hidden(inputs))
    """,
)
def check_subclass(IrisClassifier):
    import keras
    import numpy as np

    require(
        isinstance(IrisClassifier, type),
        f"IrisClassifier is a {type(IrisClassifier).__name__}; it should be a class: class IrisClassifier(keras.Model)",
    )
    require(
        issubclass(IrisClassifier, keras.Model),
        "IrisClassifier does not subclass keras.Model: write class IrisClassifier(keras.Model)",
    )
    model = IrisClassifier()
    out = np.asarray(model(np.zeros((5, 4), dtype="float32")))
    require(out.shape == (5, 3), f"called on 5 flowers it returns shape {out.shape}; it should be (5, 3)")
    require(
        np.allclose(out.sum(axis=1), 1.0, atol=1e-4) and (out >= 0).all(),
        "its outputs are not probabilities (rows do not sum to 1): end with a softmax",
    )
    require(
        len(model.trainable_weights) > 0,
        "the model has no trainable weights after a call: create the layers in __init__ and use them in call",
    )
    again = np.asarray(model(np.zeros((5, 4), dtype="float32")))
    require(
        np.allclose(out, again),
        "two calls on the same input give different outputs: create the layers once, in __init__, not in call",
    )
    return f"a keras.Model subclass with {model.count_params()} parameters"
