# %% [markdown]
# # CNNs on MNIST above 97%
#
# What this shows: convolutional networks on the real MNIST digits — the original module
# guide's Simple CNN (93,322 parameters), its Improved CNN (BatchNorm + Dropout) and a
# Functional CNN with an auxiliary output — trained, evaluated on the 10,000 test images, and
# analysed: confusion matrix, per-class accuracy, the digits the model gets wrong.
#
# Run it: `python keras_cnn_mnist.py [--profile quick|standard|full] [--backend ...]`.
# MNIST is fetched once and verified (see `keraslab data`).

# %% Setup
from keraslab.demo import setup

args = setup("CNNs on MNIST above 97%")  # --profile, --backend, --out; picks the backend before Keras loads

import keras  # noqa: E402

from keraslab import data, plots  # noqa: E402
from keraslab.cli import plots_dir_for  # noqa: E402
from keraslab.experiments import execute  # noqa: E402
from keraslab.experiments.cnn import Config  # noqa: E402
from keraslab.models.cnn import build_simple_cnn  # noqa: E402
from keraslab.store import RunStore  # noqa: E402

# %% Data: real MNIST as float32 images in [0, 1] with a channel axis
(x_train, y_train), (x_test, y_test) = data.mnist_for_training()
print("train", x_train.shape, "test", x_test.shape)

# %% Model: the Simple CNN
keras.utils.set_random_seed(0)
model = build_simple_cnn()
model.summary()  # 93,322 parameters

# %% Train one epoch to see fit() at work
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=128, epochs=1, validation_split=0.1, verbose=2)

# %% Evaluate on the 10,000 test digits
print("test accuracy after one epoch:", round(model.evaluate(x_test, y_test, verbose=0)[1], 4))

# %% The full experiment: three CNNs, several seeds, stored predictions and error analysis
store = RunStore(args.out)
execute("cnn", Config.for_profile(args.profile), store)

# %% Plots: the six analysis plots, drawn from the stored predictions
for path in plots.render(store, plots_dir_for(args.out), experiments=["cnn"]):
    print("wrote", path)
