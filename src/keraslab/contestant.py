"""One measured training in a fresh process: ``python -m keraslab.contestant '<json spec>'``.

Keras fixes its backend at import and frameworks keep threads, caches and allocator state, so a
fair comparison trains each contestant in its own process. The spec names the framework
(``keras`` on ``backend``, or native ``torch``), the training path, the data size, epochs, batch
size and seed; the contestant prints one JSON line with per-epoch times, test accuracy, peak memory
and the backend it really ran on. Used by ``keraslab run compare``, ``keraslab bench`` and the speedrun's
PyTorch twin. (Named apart from ``--workers``, the processes of distributed training.)
"""

from __future__ import annotations

import inspect
import json
import os
import resource
import subprocess
import sys
import time

from keraslab.data import mnist_for_training
from keraslab.progress import CHILD_ENV, PROGRESS_PREFIX, fit_progress, quiet
from keraslab.train import seed_everything

RESULT_PREFIX = "KERASLAB_RESULT "


def peak_rss_mb() -> float:
    """This process's peak resident memory. ``VmHWM`` belongs to the process's own address space;
    ``getrusage``'s ``ru_maxrss`` would carry over the parent's peak across ``exec``."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB -> MB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)


def count_loc(*objects) -> int:
    """Lines of code of functions/classes: no blank lines, comments or docstrings."""
    total = 0
    for obj in objects:
        src = inspect.getsource(obj)
        in_doc = False
        for line in src.splitlines():
            s = line.strip()
            if s.startswith(('"""', "'''")):
                if not (len(s) > 3 and s.endswith(('"""', "'''"))):
                    in_doc = not in_doc
                continue
            if in_doc or not s or s.startswith("#"):
                continue
            total += 1
    return total


def keras_plain_fit(model, x, y, epochs, batch_size, callbacks):
    """How the original module guide trains: compile with defaults, then fit."""
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=callbacks)


def run_keras(spec: dict) -> dict:
    import keras

    from keraslab.callbacks import TrainingTimeCallback
    from keraslab.models.cnn import build_simple_cnn

    (x, y), (x_test, y_test) = mnist_for_training(spec["n_train"] or None, spec["n_test"] or None, seed=0)
    seed_everything(spec["seed"])
    path = spec.get("path", "plain")
    options = dict(spec.get("options", {}))
    policy = "float32"
    if path != "plain":
        from keraslab.fast import configure

        policy = configure(options.pop("precision", "auto"))  # before the model is built
    model = build_simple_cnn()
    timer = TrainingTimeCallback()
    _, progress = fit_progress(f"seed {spec['seed']}")  # lines for the parent to stream
    if path == "plain":
        keras_plain_fit(model, x, y, spec["epochs"], spec["batch_size"], [timer, *progress])
    else:
        from keraslab.fast import fit_fast

        fit_fast(
            model,
            x,
            y,
            epochs=spec["epochs"],
            batch_size=spec["batch_size"],
            seed=spec["seed"],
            callbacks=[timer, *progress],
            **options,
        )
    probs = model.predict(x_test, batch_size=1000, verbose=0)
    return {
        "framework": "keras",
        "backend": keras.backend.backend(),
        "path": path,
        "options": spec.get("options", {}),
        "precision": policy,
        "steps_per_execution": int(getattr(model, "steps_per_execution", 1) or 1),  # as compiled
        "epoch_time": timer.epoch_times,
        "test_accuracy": float((probs.argmax(1) == y_test).mean()),
        "params": int(model.count_params()),
        "loc": count_loc(build_simple_cnn, keras_plain_fit),
    }


def arm_spec(backend: str, path: str = "plain", variant: str | None = None) -> dict:
    """What to launch for one arm of a speed comparison (``keraslab run compare``, ``keraslab
    bench``): Keras on ``backend`` by ``path`` ("plain" ``model.fit``, or "keraslab"'s own path),
    or, for ``backend="native-torch"``, a hand-written PyTorch loop in ``variant`` (default: the
    strongest float32 one)."""
    if backend == "native-torch":
        from keraslab.models.torch_models import STRONGEST_FLOAT32

        return {"framework": "torch", "backend": "native-torch", "variant": variant or STRONGEST_FLOAT32}
    return {"framework": "keras", "backend": backend, "path": path}


def run_torch(spec: dict) -> dict:
    import torch
    from torch import nn

    from keraslab.models import torch_models as T

    (x, y), (x_test, y_test) = mnist_for_training(spec["n_train"] or None, spec["n_test"] or None, seed=0)
    x, x_test = x.transpose(0, 3, 1, 2).copy(), x_test.transpose(0, 3, 1, 2).copy()  # NHWC -> NCHW
    y = y.astype("int64")
    torch.manual_seed(spec["seed"])
    model = T.SimpleCNN()
    times, start = [], [time.perf_counter()]

    def tick(epoch):
        now = time.perf_counter()
        times.append(now - start[0])
        start[0] = now
        if not quiet():
            print(
                f"{PROGRESS_PREFIX}seed {spec['seed']}, epoch {epoch + 1}/{spec['epochs']}: {times[-1]:.1f}s",
                flush=True,
            )

    variant = T.VARIANTS[spec.get("variant", "eager, NCHW")]
    T.train(
        model,
        x,
        y,
        epochs=spec["epochs"],
        batch_size=spec["batch_size"],
        seed=spec["seed"],
        loss_fn=nn.CrossEntropyLoss(),
        on_epoch_end=tick,
        **variant,
    )
    logits = T.predict(model, x_test)
    return {
        "framework": "torch",
        "backend": "native-torch",
        "path": "manual loop",
        "variant": spec.get("variant", "eager, NCHW"),
        "precision": "mixed_bfloat16" if variant.get("bf16") else "float32",
        "epoch_time": times,
        "test_accuracy": float((logits.argmax(1) == y_test).mean()),
        "params": T.count_params(model),
        "torch_threads": torch.get_num_threads(),
        "loc": count_loc(T.SimpleCNN, T.train),
    }


def serve_torch_speedrun(spec: dict) -> None:
    """The speedrun twin, paced by its caller (:class:`Paced`): for each seed read from stdin,
    one epoch of the recipe, then one result line; it ends when stdin closes."""
    train = torch_speedrun_trainer(spec)
    for line in sys.stdin:
        if line.strip():
            print(RESULT_PREFIX + json.dumps(train(int(line))), flush=True)


def torch_speedrun_trainer(spec: dict):
    """The data loaded once; returns ``train(seed)``: one epoch of the speedrun recipe in native
    PyTorch, with its times and accuracies (``seed_result``) and what the process ran on."""
    import torch

    from keraslab.models import torch_models as T

    (x, y), (x_val, y_val), (x_test, y_test) = speedrun_data(spec["validation_size"], spec.get("n_train", 0))
    nchw = lambda a: a.transpose(0, 3, 1, 2).copy()  # noqa: E731
    x, x_val, x_test = nchw(x), nchw(x_val), nchw(x_test)

    def train(seed: int) -> dict:
        model, seconds = T.train_speedrun(
            x, y, seed=seed, **spec["recipe"], channels_last=spec["channels_last"], bf16=spec["bf16"]
        )
        accuracy = lambda a, b: float((T.predict(model, a).argmax(1) == b).mean())  # noqa: E731
        result = {
            "seed": seed,
            "train_time": seconds,
            "val_accuracy": accuracy(x_val, y_val),
            "test_accuracy": accuracy(x_test, y_test),
        }
        if not quiet():
            print(f"{PROGRESS_PREFIX}seed {seed}: {seconds:.1f}s, test {result['test_accuracy']:.4f}", flush=True)
        return {
            "framework": "torch",
            "backend": "native-torch",
            "seed_result": result,
            "torch_threads": torch.get_num_threads(),
            "precision": "mixed_bfloat16" if spec["bf16"] else "float32",
            "channels_last": spec["channels_last"],
            "fused_adam": T.FUSED_ADAM,
            "peak_rss_mb": peak_rss_mb(),
        }

    return train


def speedrun_data(validation_size: int, n_train: int = 0):
    """MNIST normalised as the speedrun recipe wants it, the first ``validation_size`` training
    images held out, then ``n_train`` of the rest (0: all): (train, validation, test), NHWC float32."""

    (x, y), (x_test, y_test) = mnist_for_training()
    mean, std = 0.1307, 0.3081  # MNIST's pixel mean and std, as in the published recipe
    x, x_test = (x - mean) / std, (x_test - mean) / std
    v = validation_size
    end = v + n_train if n_train else len(x)
    return (x[v:end], y[v:end]), (x[:v], y[:v]), (x_test, y_test)


def main(argv=None) -> int:
    spec = json.loads((argv or sys.argv[1:])[0])
    if argv is None:
        from keraslab import backend

        backend.filter_tensorflow_noise()
    if spec.get("task") == "speedrun":  # paced by the caller, a seed at a time (Paced)
        serve_torch_speedrun(spec)
        return 0
    if spec["framework"] == "keras":
        from keraslab import backend

        backend.select(spec["backend"])
        backend.import_keras_quietly()  # and, on JAX and PyTorch, without TensorFlow
        result = run_keras(spec)
    else:
        result = run_torch(spec)
    result.update(seed=spec.get("seed"), peak_rss_mb=peak_rss_mb())
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


def _start(spec: dict, name: str, **popen) -> tuple[subprocess.Popen, str]:
    """The contestant process for ``spec``, its output merged into one text pipe; and its name."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env[CHILD_ENV] = "1"
    env.update(spec.get("env", {}))  # a variant's thread or oneDNN settings
    if spec["framework"] == "keras":
        env["KERAS_BACKEND"] = spec["backend"]
    name = name or f"{spec['framework']}/{spec.get('backend', '')}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "keraslab.contestant", json.dumps(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        **popen,
    )
    return proc, name


def _read_until_result(proc: subprocess.Popen, name: str, other: list) -> dict | None:
    """Stream ``proc``'s progress lines (prefixed with ``name``) until its next result line; keep
    its last other lines in ``other`` for an error message. None: the output ended first."""
    for line in proc.stdout:
        line = line.rstrip("\n")
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
        if line.startswith(PROGRESS_PREFIX):
            print(f"    [{name}] {line[len(PROGRESS_PREFIX) :]}", flush=True)
        elif line.strip():
            other[:] = (other + [line])[-20:]
    return None


def launch(spec: dict, timeout: float = 3600, name: str = "") -> dict:
    """Run one contestant in a child process; returns its result or raises RuntimeError.

    The child's progress lines are streamed to this process's output as they come, prefixed with
    ``name``; everything else it prints is kept only for the error message.
    """
    import threading

    proc, name = _start(spec, name)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    result, other = None, []
    try:
        result = _read_until_result(proc, name, other)
        proc.communicate()  # the rest of its output, and its exit
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if result is not None and proc.returncode == 0:
        return result
    raise _failure(name, proc, other)


def _failure(name: str, proc: subprocess.Popen, other: list) -> RuntimeError:
    """The error for a contestant process that ended without its result: its exit and last line."""
    tail = (other or ["no output"])[-1]
    return RuntimeError(f"{name} contestant process failed (exit {proc.returncode}): {tail}")


class Paced:
    """A contestant process that trains one seed each time it is asked (the speedrun's twin), so
    that its caller can alternate its own seeds with the child's: the host's slow minutes then
    fall on both sides alike. Started at the first :meth:`run`; :meth:`close` ends it."""

    def __init__(self, spec: dict, name: str = "", timeout: float = 3600):
        self.spec, self.name, self.timeout = spec, name, timeout
        self.proc = None
        self.other: list[str] = []

    def run(self, seed: int) -> dict:
        import threading

        if self.proc is None:
            self.proc, self.name = _start(self.spec, self.name, stdin=subprocess.PIPE)
        timer = threading.Timer(self.timeout, self.proc.kill)
        timer.start()
        try:
            self.proc.stdin.write(f"{seed}\n")
            self.proc.stdin.flush()
            result = _read_until_result(self.proc, self.name, self.other)
        except BrokenPipeError:
            result = None
        finally:
            timer.cancel()
        if result is None:
            self.close()
            raise _failure(self.name, self.proc, self.other)
        return result

    def close(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


if __name__ == "__main__":
    raise SystemExit(main())
