"""Keras vs PyTorch, measured: the Simple CNN trained with plain ``model.fit`` on every installed
Keras backend, and as a native PyTorch module with a hand-written loop — each in its own process,
on the same data, batch size, epochs and seeds."""

from __future__ import annotations

from dataclasses import dataclass, replace

from keraslab import backend
from keraslab.config import BaseConfig, param
from keraslab.contestant import arm_spec, launch
from keraslab.experiment import Experiment, Result
from keraslab.experiments.compare.result import Arm, CompareResult, Contestant, Settings
from keraslab.experiments.runner import over_seeds
from keraslab.results import decode

RESUMABLE = True  # finished arms and seeds are kept when interrupted
ORDER = 5  # its place in `keraslab run all`
DESCRIPTION = "Simple CNN on every Keras backend (plain fit) vs native PyTorch: accuracy, s/epoch, memory, LOC"
FRAMEWORKS = ("tensorflow", "jax", "torch", "native-torch")
#: what this experiment's speedup is divided by (stored as ``speedup_vs``)
SPEEDUP_VS = "native-torch: its mean seconds per epoch ÷ the arm's (the same images per epoch)"


@dataclass(frozen=True)
class Config(BaseConfig):
    frameworks: tuple[str, ...] = param(FRAMEWORKS, "Keras backends, and native PyTorch", choices=FRAMEWORKS)
    n_train: int = param(
        10000,
        "MNIST training images (a fixed-seed subset; speed is `keraslab bench`'s job, in rounds)",
        min=0,
        max=60000,
    )
    n_test: int = param(0, "test images (0: all 10,000)", min=0, max=10000)
    epochs: int = param(
        2,
        "the first epoch is warm-up, the second measures steady speed (`full`: 5); 2 keeps `make run` within its "
        "time budget on a 2-core AVX2 CPU (docs/performance.md)",
        min=2,
        max=100,
    )
    batch_size: int = param(128, "as in the guide's timing figures", min=1, max=65536)

    PRESETS = {
        "quick": {"n_train": 1024, "n_test": 500, "epochs": 2, "seeds": (0,)},
        "standard": {"seeds": (0, 1)},
        "full": {"n_train": 0, "epochs": 5, "seeds": (0, 1, 2)},
    }


def installed(framework: str) -> bool:
    return backend.is_installed("torch" if framework == "native-torch" else framework)


def run(config: Config, writer) -> Result:
    skipped = [name for name in config.frameworks if not installed(name)]
    for name in skipped:
        print(f"  {name}: not installed, skipped")
    frameworks = [name for name in config.frameworks if name not in skipped]

    def train_one(name, seed, label):
        # the same arms as `keraslab bench`: plain fit per backend, native PyTorch at its strongest float32
        spec = {
            **arm_spec(name),
            "seed": seed,
            "n_train": config.n_train,
            "n_test": config.n_test,
            "epochs": config.epochs,
            "batch_size": config.batch_size,
        }
        return launch(spec, name=name)

    def report(name, seed, r):
        steady = r["epoch_time"][1:]
        print(
            f"  {name:12s} seed {seed}: accuracy {r['test_accuracy']:.4f}, first epoch {r['epoch_time'][0]:.1f}s, "
            f"then {sum(steady) / len(steady):.1f}s/epoch, peak {r['peak_rss_mb']:.0f} MB (ran on {r['backend']})"
        )

    trials = over_seeds(writer, frameworks, config.seeds, train_one, report=report)
    arms = {}
    for name in frameworks:
        per_seed = trials.of(name)
        arms[name] = Arm(
            ran_on=sorted({r["backend"] for r in per_seed}),
            **trials.summary(name, "test_accuracy", "peak_rss_mb"),
            **trials.timings(name),
            params=per_seed[0]["params"],
            loc=per_seed[0]["loc"],
            per_seed=decode(list[Contestant], per_seed, f"compare {name} seeds"),
        )
    ref = arms.get("native-torch")
    if ref:  # images/s ÷ native PyTorch's: the same images per epoch, so a time ratio
        arms = {n: replace(r, speedup=ref.epoch_time.mean / r.epoch_time.mean) for n, r in arms.items()}
    n_train = config.n_train or 60000
    return Result(
        metrics=CompareResult(
            arms=arms,
            speedup_vs=SPEEDUP_VS if ref else None,
            skipped=skipped,
            images_per_epoch=n_train,
            settings=Settings(
                epochs=config.epochs,
                batch_size=config.batch_size,
                n_train=n_train,
                optimizer="adam (lr 1e-3, eps 1e-7)",
                native_torch=arm_spec("native-torch")["variant"],
            ),
        )
    )


def migrate_v1(run) -> dict:
    """Schema 1 → 2: runs from before the PyTorch variant was stored ran eager NCHW."""
    m = dict(run.metrics)
    m["settings"] = {"native_torch": "eager, NCHW", **m["settings"]}
    if "native-torch" in m["arms"]:
        m.setdefault("speedup_vs", SPEEDUP_VS)
    return m


EXPERIMENT = Experiment(
    name="compare",
    description=DESCRIPTION,
    config=Config,
    run=run,
    order=ORDER,
    resumable=RESUMABLE,
    migrate=migrate_v1,
    result=CompareResult,
)
