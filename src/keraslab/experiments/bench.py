"""The performance harness (``keraslab bench``): the Simple CNN, one model, data and batch size,
trained by the native PyTorch eager loop (the reference), by plain ``model.fit`` on each installed
Keras backend (how the original module guide writes it), and by keraslab's own path
(:mod:`keraslab.fast`) — each in its own process, all in one run. Also measured in the same run:
the machine's float32 matmul rate, so each contestant's useful FLOP/s can be put against it."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from keraslab.config import BaseConfig, param
from keraslab.experiments import Result

DESCRIPTION = "throughput of native PyTorch vs plain fit per backend vs keraslab's fast path"
RESUMABLE = True  # a long measurement keeps every finished contestant when interrupted

#: variants of keraslab's path tried with --variants (each documented in docs/performance.md)
VARIANTS = {
    "float32": {"backend": "tensorflow", "options": {"precision": "float32"}},
    "float32, steps_per_execution 16": {
        "backend": "tensorflow",
        "options": {"precision": "float32", "steps_per_execution": 16},
    },
    "float32, XLA": {"backend": "tensorflow", "options": {"precision": "float32", "jit_compile": True}},
    "float32, tf.data + prefetch": {"backend": "tensorflow", "options": {"precision": "float32", "tf_data": True}},
    "bf16, steps_per_execution 16": {"backend": "tensorflow", "options": {"steps_per_execution": 16}},
    "bf16, XLA": {"backend": "tensorflow", "options": {"precision": "mixed_bfloat16", "jit_compile": True}},
    "jax, bf16": {"backend": "jax", "options": {"precision": "mixed_bfloat16"}},
    "torch backend, bf16": {"backend": "torch", "options": {"precision": "mixed_bfloat16"}},
}


@dataclass(frozen=True)
class Config(BaseConfig):
    n_train: int = param(60000, "images per epoch (the full training set)", min=256, max=60000)
    n_test: int = param(10000, "test images to check accuracy is unchanged", min=100, max=10000)
    epochs: int = param(3, "the first epoch is warm-up; throughput is the mean of the rest", min=2, max=50)
    batch_size: int = param(128, "as in the guide's timing figures", min=1, max=65536)
    variants: bool = param(False, "also time the alternatives to keraslab's path (for docs/performance.md)")

    PRESETS = {
        "quick": {"n_train": 2048, "n_test": 500, "epochs": 2},
        "standard": {},
        "full": {"epochs": 5, "variants": True, "seeds": (0, 1)},
    }


def matmul_gflops(n: int = 2048, repeats: int = 5) -> dict:
    """Best-of-``repeats`` float32 n×n matmul rate, NumPy and (where installed) PyTorch."""
    out = {}
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    out["numpy"] = 2 * n**3 / best / 1e9
    try:
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        ta @ tb
        out["torch"] = 2 * n**3 / min(_timed(lambda: ta @ tb) for _ in range(repeats)) / 1e9
    except ImportError:
        pass
    return out


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def simple_cnn_train_flops_per_image() -> float:
    """Multiply-adds of the forward pass ×2 (FLOPs) ×3 (forward + backward)."""
    macs = 26 * 26 * 32 * 9 * 1 + 11 * 11 * 64 * 9 * 32 + 3 * 3 * 64 * 9 * 64 + 576 * 64 + 64 * 10
    return 2.0 * macs * 3.0


def contestants(config: Config) -> list[tuple[str, dict]]:
    from keraslab import backend

    out = []
    if backend.is_installed("torch"):
        out.append(("native PyTorch (eager loop)", {"framework": "torch", "backend": "native-torch"}))
    for b in backend.available():
        out.append((f"plain fit, {b}", {"framework": "keras", "backend": b, "path": "plain"}))
    out.append(("keraslab path (tensorflow)", {"framework": "keras", "backend": "tensorflow", "path": "keraslab"}))
    if config.variants:
        for name, v in VARIANTS.items():
            if backend.is_installed(v["backend"]):
                out.append(
                    (
                        f"variant {name}",
                        {"framework": "keras", "backend": v["backend"], "path": "keraslab", "options": v["options"]},
                    )
                )
    return out


def run(config: Config, out) -> Result:
    from keraslab.train import mean_std
    from keraslab.workers import launch

    machine = matmul_gflops()
    peak = max(machine.values())
    flops_per_image = simple_cnn_train_flops_per_image()
    print(
        f"  matmul: {', '.join(f'{k} {v:.0f} GFLOP/s' for k, v in machine.items())}; one epoch of "
        f"{config.n_train} images is {flops_per_image * config.n_train / 1e12:.2f} TFLOP"
    )
    rows = {}
    for label, spec in contestants(config):
        runs = []
        for seed in config.seeds:
            full = {
                **spec,
                "seed": seed,
                "n_train": config.n_train,
                "n_test": config.n_test,
                "epochs": config.epochs,
                "batch_size": config.batch_size,
            }
            runs.append(out.step(f"{label}-seed{seed}", lambda: launch(full, name=label)))
        steady = [t for r in runs for t in r["epoch_times"][1:]]
        ips = [config.n_train / t for t in steady]
        rows[label] = {
            "spec": spec,
            "images_per_s": mean_std(ips),
            "first_epoch_s": mean_std([r["epoch_times"][0] for r in runs]),
            "epoch_s": mean_std(steady),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "test_accuracy": mean_std([r["test_accuracy"] for r in runs]),
            "ran_on": runs[0]["backend"],
            "precision": runs[0].get("precision", "float32"),
            "fraction_of_matmul_peak": float(np.mean(ips)) * flops_per_image / (peak * 1e9),
        }
        print(
            f"  {label:34s} {rows[label]['images_per_s']['mean']:8.0f} images/s, first epoch "
            f"{rows[label]['first_epoch_s']['mean']:.1f}s, accuracy {rows[label]['test_accuracy']['mean']:.4f}"
        )
    ref = next((r for k, r in rows.items() if k.startswith("native")), None)
    for r in rows.values():
        r["ratio_vs_native_torch"] = (r["images_per_s"]["mean"] / ref["images_per_s"]["mean"]) if ref else None
    return Result(
        metrics={
            "rows": rows,
            "matmul_gflops": machine,
            "train_flops_per_image": flops_per_image,
            "settings": {
                "n_train": config.n_train,
                "epochs": config.epochs,
                "batch_size": config.batch_size,
                "model": "simple_cnn",
            },
        },
        provenance={"matmul_gflops": machine},
    )
