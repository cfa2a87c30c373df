"""Keras vs PyTorch, measured: the Simple CNN trained with plain ``model.fit`` on every installed
Keras backend, and as a native PyTorch module with a hand-written loop — each in its own process,
on the same data, batch size, epochs and seeds."""

from __future__ import annotations

from dataclasses import dataclass

from keraslab.config import BaseConfig, param
from keraslab.experiments import Result

RESUMABLE = True  # finished contestants/seeds are kept when interrupted
ORDER = 5  # its place in `keraslab run all`
DESCRIPTION = "Simple CNN on every Keras backend (plain fit) vs native PyTorch: accuracy, s/epoch, memory, LOC"
CONTESTANTS = ("tensorflow", "jax", "torch", "native-torch")


@dataclass(frozen=True)
class Config(BaseConfig):
    contestants: tuple[str, ...] = param(CONTESTANTS, "Keras backends, and native PyTorch", choices=CONTESTANTS)
    n_train: int = param(20000, "MNIST training images (a fixed-seed subset)", min=0, max=60000)
    n_test: int = param(0, "test images (0: all 10,000)", min=0, max=10000)
    epochs: int = param(3, "the first epoch is warm-up; the rest measure steady speed", min=2, max=100)
    batch_size: int = param(128, "as in the guide's timing figures", min=1, max=65536)

    PRESETS = {
        "quick": {"n_train": 1024, "n_test": 500, "epochs": 2, "seeds": (0,)},
        "standard": {"seeds": (0, 1)},
        "full": {"n_train": 0, "epochs": 5, "seeds": (0, 1, 2)},
    }


def installed(contestant: str) -> bool:
    from keraslab import backend

    return backend.is_installed("torch" if contestant == "native-torch" else contestant)


def run(config: Config, out) -> Result:
    from keraslab.train import mean_std
    from keraslab.contestant import launch

    results, skipped = {}, []
    for name in config.contestants:
        if not installed(name):
            print(f"  {name}: not installed, skipped")
            skipped.append(name)
            continue
        per_seed = []
        for seed in config.seeds:
            spec = {
                "framework": "torch" if name == "native-torch" else "keras",
                "backend": name,
                "seed": seed,
                "n_train": config.n_train,
                "n_test": config.n_test,
                "epochs": config.epochs,
                "batch_size": config.batch_size,
                "path": "plain",
            }
            r = out.step(f"{name}-seed{seed}", lambda: launch(spec, name=name))
            per_seed.append(r)
            steady = r["epoch_times"][1:]
            print(
                f"  {name:12s} seed {seed}: accuracy {r['test_accuracy']:.4f}, first epoch {r['epoch_times'][0]:.1f}s, "
                f"then {sum(steady) / len(steady):.1f}s/epoch, peak {r['peak_rss_mb']:.0f} MB (ran on {r['backend']})"
            )
        results[name] = {
            "ran_on": sorted({r["backend"] for r in per_seed}),
            "test_accuracy": mean_std([r["test_accuracy"] for r in per_seed]),
            "first_epoch_s": mean_std([r["epoch_times"][0] for r in per_seed]),
            "epoch_s": mean_std([t for r in per_seed for t in r["epoch_times"][1:]]),
            "peak_rss_mb": mean_std([r["peak_rss_mb"] for r in per_seed]),
            "params": per_seed[0]["params"],
            "loc": per_seed[0]["loc"],
            "per_seed": per_seed,
        }
    ref = results.get("native-torch")
    if ref:
        for r in results.values():
            r["speed_vs_native_torch"] = ref["epoch_s"]["mean"] / r["epoch_s"]["mean"]
    n_train = config.n_train or 60000
    return Result(
        metrics={
            "contestants": results,
            "skipped": skipped,
            "images_per_epoch": n_train,
            "settings": {
                "epochs": config.epochs,
                "batch_size": config.batch_size,
                "n_train": n_train,
                "optimizer": "adam (lr 1e-3, eps 1e-7)",
            },
        }
    )
