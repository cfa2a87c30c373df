"""The performance harness (``keraslab bench``): the Simple CNN, one model, data and batch size,
trained by native PyTorch at its strongest — eager NCHW (the guide-style reference), eager
``channels_last``, ``torch.compile``, and ``torch.autocast`` bfloat16 where the CPU has native bf16
— by plain ``model.fit`` on each installed Keras backend (how the original module guide writes it),
and by keraslab's own path (:mod:`keraslab.fast`); each contestant in its own process.

The host is noisy, so the headline arms run interleaved in ``rounds`` (A B C … A B C …);
each reports its median and range over rounds, and keraslab's path is compared, round by round,
with the fastest native PyTorch variant **of its own precision class** (float32 with float32,
bfloat16 with bfloat16). A ratio whose range spans 1.0 is a tie. Also measured in the same run: the
machine's float32 (and, where native, bfloat16) matmul rate, so each contestant's useful FLOP/s can
be put against the peak of its precision."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import numpy as np

from keraslab import backend
from keraslab.config import BaseConfig, param
from keraslab.contestant import arm_spec, launch
from keraslab.experiment import Experiment, Result
from keraslab.experiments.bench.result import Arm, BenchResult, Headline, Settings
from keraslab.experiments.runner import over_seeds
from keraslab.fast import bf16_refusal, cpu_has_bf16, resolve_precision_for
from keraslab.harness import steps_per_execution
from keraslab.provenance import best_seconds
from keraslab.results import Summary, encode

DESCRIPTION = "throughput: native PyTorch at its strongest vs plain fit vs keraslab's path, in rounds"
RESUMABLE = True  # a long measurement keeps every finished contestant when interrupted

#: variants of keraslab's path tried with --variants (each documented in docs/performance.md)
VARIANTS = {
    "float32": {"backend": "tensorflow", "options": {"precision": "float32"}},
    "float32, steps_per_execution 1": {
        "backend": "tensorflow",
        "options": {"precision": "float32", "steps_per_execution": 1},
    },
    "float32, XLA": {"backend": "tensorflow", "options": {"precision": "float32", "jit_compile": True}},
    # Keras' own pipeline for arrays (autotuned, rebuilt every epoch) instead of keraslab.data.array_batches
    "float32, Keras' array pipeline": {
        "backend": "tensorflow",
        "options": {"precision": "float32", "keras_arrays": True},
    },
    "bf16, Keras' array pipeline": {"backend": "tensorflow", "options": {"keras_arrays": True}},
    "bf16, steps_per_execution 1": {"backend": "tensorflow", "options": {"steps_per_execution": 1}},
    "bf16, XLA": {"backend": "tensorflow", "options": {"precision": "mixed_bfloat16", "jit_compile": True}},
    # Tried against TensorFlow's occasional ~0.55x epochs on the 2-core host, before their cause was
    # found (tf.data's autotuning, see keraslab.data.no_autotune): 11 interleaved rounds of the path
    # (bf16, 20,000 images, Keras' array pipeline), default threads 7,731-15,508 images/s, median
    # 14,182, 2 rounds slow; one inter-op thread 11,130-13,656, median 12,530, none slow. Not adopted.
    "bf16, 1 inter-op thread": {"backend": "tensorflow", "options": {}, "env": {"TF_NUM_INTEROP_THREADS": "1"}},
    "bf16, 2 intra-op + 2 inter-op threads": {
        "backend": "tensorflow",
        "options": {},
        "env": {"TF_NUM_INTRAOP_THREADS": "2", "TF_NUM_INTEROP_THREADS": "2"},
    },
    "float32, oneDNN off": {
        "backend": "tensorflow",
        "options": {"precision": "float32"},
        "env": {"TF_ENABLE_ONEDNN_OPTS": "0"},
    },
    "jax, bf16": {"backend": "jax", "options": {"precision": "mixed_bfloat16"}},
    "torch backend, bf16": {"backend": "torch", "options": {"precision": "mixed_bfloat16"}},
}


@dataclass(frozen=True)
class Config(BaseConfig):
    n_train: int = param(20000, "images per epoch (a third of MNIST: throughput, not accuracy)", min=256, max=60000)
    n_test: int = param(10000, "test images to check accuracy is unchanged", min=100, max=10000)
    epochs: int = param(2, "the first epoch is warm-up (and compilation); throughput is the rest", min=2, max=50)
    batch_size: int = param(128, "as in the guide's timing figures", min=1, max=65536)
    rounds: int = param(3, "interleaved rounds of the headline arms (median and range)", min=1, max=20)
    other_backends: bool = param(
        False,
        "also time plain fit on the JAX and PyTorch backends, once each (`keraslab bench --other-backends`; off "
        "by default: `run compare` already times plain fit on every backend)",
    )
    variants: bool = param(False, "also time the alternatives to keraslab's path (for docs/performance.md)")

    PRESETS = {
        "quick": {"n_train": 2048, "n_test": 500, "rounds": 1},
        "standard": {},
        "full": {"n_train": 60000, "epochs": 3, "rounds": 5, "variants": True, "other_backends": True},
    }


def matmul_gflops(n: int = 2048, repeats: int = 5) -> dict:
    """Best-of-``repeats`` n×n matmul rate: float32 with NumPy and PyTorch, and bfloat16 with
    PyTorch where the CPU has native bf16 units (``torch_bf16``)."""
    out = {}
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    a @ b
    best = best_seconds(lambda: a @ b, repeats)
    out["numpy"] = 2 * n**3 / best / 1e9
    try:
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        ta @ tb
        out["torch"] = 2 * n**3 / best_seconds(lambda: ta @ tb, repeats) / 1e9
        from keraslab.fast import cpu_has_bf16

        if cpu_has_bf16():
            ha, hb = ta.bfloat16(), tb.bfloat16()
            ha @ hb
            out["torch_bf16"] = 2 * n**3 / best_seconds(lambda: ha @ hb, repeats) / 1e9
    except ImportError:
        pass
    return out


def simple_cnn_train_flops_per_image() -> float:
    """Multiply-adds of the forward pass ×2 (FLOPs) ×3 (forward + backward)."""
    macs = 26 * 26 * 32 * 9 * 1 + 11 * 11 * 64 * 9 * 32 + 3 * 3 * 64 * 9 * 64 + 576 * 64 + 64 * 10
    return 2.0 * macs * 3.0


REFERENCE = "native PyTorch, eager NCHW"
#: what this experiment's speedup is divided by (stored as ``speedup_vs``)
SPEEDUP_VS = f"{REFERENCE}: the arm's median images/s ÷ its"
KERASLAB = "keraslab path (tensorflow)"


def arms(config: Config) -> tuple[list[tuple[str, dict]], list[tuple[str, dict]]]:
    """(headline arms, run in every round; the others, run once), each with its contestant spec."""
    from keraslab.models.torch_models import VARIANTS as TORCH_VARIANTS

    headline, once = [], []
    if backend.is_installed("torch"):
        for variant, flags in TORCH_VARIANTS.items():
            if flags.get("bf16") and not cpu_has_bf16():
                continue  # emulated bf16 would only be slow: not a fair "strongest" peer
            headline.append(
                (f"native PyTorch, {variant.replace(', NCHW', ' NCHW')}", arm_spec("native-torch", variant=variant))
            )
    for b in backend.available():
        entry = (f"plain fit, {b}", arm_spec(b))
        if b == "tensorflow":
            headline.append(entry)
        elif config.other_backends:  # `keraslab run compare` times these too
            once.append(entry)
    headline.append((KERASLAB, arm_spec("tensorflow", path="keraslab")))
    if config.variants:
        for name, v in VARIANTS.items():
            forced_bf16 = v["options"].get("precision") == "mixed_bfloat16"
            if forced_bf16 and bf16_refusal(v["backend"], {**os.environ, **v.get("env", {})}):
                continue  # cannot train on this CPU kind (keraslab.fast.bf16_refusal)
            if backend.is_installed(v["backend"]):
                spec = {**arm_spec(v["backend"], path="keraslab"), "options": v["options"], "env": v.get("env", {})}
                once.append((f"variant {name}", spec))
    return headline, once


def precision_class(precision: str) -> str:
    return "bfloat16" if "bfloat16" in precision else "float32"


def run(config: Config, writer) -> Result:
    machine = matmul_gflops()
    flops_per_image = simple_cnn_train_flops_per_image()
    print(
        f"  matmul: {', '.join(f'{k} {v:.0f} GFLOP/s' for k, v in machine.items())}; one epoch of "
        f"{config.n_train} images is {flops_per_image * config.n_train / 1e12:.2f} TFLOP"
    )
    path_precision = resolve_precision_for("tensorflow")
    steps = steps_per_execution("tensorflow", config.n_train)
    choice = (
        f"keraslab path: {path_precision}, {steps} step(s) per execution, because the CPU "
        + (
            "has native bfloat16 units (amx_bf16/avx512_bf16): about twice the float32 rate"
            if cpu_has_bf16()
            else "has no native bfloat16 units (emulated bf16 would be slower)"
        )
        + f"; {steps} steps per call save per-step dispatch time"
    )
    print(f"  {choice}")
    headline, once = arms(config)
    spec_of = dict(headline + once)

    def train_one(label, rnd, text):
        full = {
            **spec_of[label],
            "seed": config.seeds[0],  # rounds repeat one configuration: only the host's noise differs
            "n_train": config.n_train,
            "n_test": config.n_test,
            "epochs": config.epochs,
            "batch_size": config.batch_size,
        }
        return launch(full, name=text)

    trials = over_seeds(
        writer, [a for a, _ in headline], range(config.rounds), train_one, interleave=True, unit="round"
    )
    if once:
        extra = over_seeds(writer, [a for a, _ in once], [0], train_one, unit="once")
        trials.results.update(extra.results)
    table = {}
    for label in spec_of:
        rs = trials.of(label)
        ips = [config.n_train / float(np.mean(r["epoch_time"][1:])) for r in rs]  # per round, warm-up excluded
        precision = rs[0].get("precision", "float32")
        peak = machine.get("torch_bf16") if precision_class(precision) == "bfloat16" else None
        peak = peak or max(v for k, v in machine.items() if k != "torch_bf16")
        table[label] = arm = Arm(
            spec=spec_of[label],
            precision=precision,
            steps_per_execution=rs[0].get("steps_per_execution", 1),  # a PyTorch contestant has no such setting
            rounds=len(rs),
            images_per_s=Summary.of(ips, spread=True),
            first_epoch_time=Summary.of([r["epoch_time"][0] for r in rs], spread=True),
            peak_rss_mb=max(r["peak_rss_mb"] for r in rs),
            test_accuracy=Summary.of([r["test_accuracy"] for r in rs], spread=True),
            ran_on=rs[0]["backend"],
            fraction_of_matmul_peak=float(np.median(ips)) * flops_per_image / (peak * 1e9),
            matmul_peak_gflops=peak,
        )
        print(
            f"  {label:46s} {arm.images_per_s.median:8.0f} images/s (median of {len(rs)}), first "
            f"epoch {arm.first_epoch_time.median:.1f}s, accuracy {arm.test_accuracy.median:.4f}"
        )
    ref = table.get(REFERENCE)
    if ref:  # images/s ÷ the guide-style reference's
        table = {n: replace(r, speedup=r.images_per_s.median / ref.images_per_s.median) for n, r in table.items()}
    h = best_torch_ratio(table)
    if h:
        print(
            f"  keraslab path vs the fastest native PyTorch of its precision class ({h.versus}): median "
            f"{h.median:.2f}x, range {h.min:.2f}-{h.max:.2f} over {h.rounds} rounds: {h.verdict}"
        )
    return Result(
        metrics=BenchResult(
            arms=table,
            speedup_vs=SPEEDUP_VS if REFERENCE in table else None,
            headline=h,
            choices=choice,
            matmul_gflops=machine,
            train_flops_per_image=flops_per_image,
            settings=Settings(
                n_train=config.n_train,
                epochs=config.epochs,
                batch_size=config.batch_size,
                rounds=config.rounds,
                model="simple_cnn",
            ),
        ),
        provenance={"matmul_gflops": machine},
    )


def best_torch_ratio(arms: dict[str, Arm]) -> Headline | None:
    """keraslab's path ÷ the fastest native PyTorch variant of the same precision class, per round."""
    if KERASLAB not in arms:
        return None
    cls = precision_class(arms[KERASLAB].precision)
    peers = [k for k, r in arms.items() if r.ran_on == "native-torch" and precision_class(r.precision) == cls]
    if not peers:
        return None
    best = max(peers, key=lambda k: arms[k].images_per_s.median)
    ours, theirs = arms[KERASLAB].images_per_s.values, arms[best].images_per_s.values
    ratios = [a / b for a, b in zip(ours, theirs)]  # the same round: measured minutes apart
    lo, hi = min(ratios), max(ratios)
    verdict = "tie (the range spans 1.0)" if lo <= 1.0 <= hi else ("faster" if lo > 1.0 else "slower")
    return Headline(
        versus=best,
        precision_class=cls,
        ratios=ratios,
        median=float(np.median(ratios)),
        min=lo,
        max=hi,
        rounds=len(ratios),
        verdict=verdict,
    )


def table(run) -> list[str]:
    """The benchmark's result table, as `keraslab bench` prints it, and its headline line."""
    lines = [
        f"{'arm':46s} {'precision':>14s} {'images/s':>9s} {'range':>13s} {'vs PyTorch':>10s} "
        f"{'first epoch':>12s} {'peak MB':>8s} {'of matmul peak':>15s} {'accuracy':>9s}"
    ]
    result: BenchResult = EXPERIMENT.upgrade(run).result
    for label, r in result.arms.items():
        ratio, ips, first = r.speedup, r.images_per_s, r.first_epoch_time
        lines.append(
            f"{label:46s} {r.precision:>14s} {ips.median:9.0f} {ips.min:6.0f}-{ips.max:<6.0f} "
            f"{(f'{ratio:.2f}x' if ratio else '-'):>10s} {first.median:11.1f}s {r.peak_rss_mb:8.0f} "
            f"{r.fraction_of_matmul_peak * 100:14.1f}% {r.test_accuracy.median:9.4f}"
        )
    h = result.headline
    if h:
        lines.append(
            f"keraslab path vs {h.versus} (fastest native PyTorch, {h.precision_class}): median "
            f"{h.median:.2f}x, range {h.min:.2f}-{h.max:.2f}x over {h.rounds} rounds: {h.verdict}"
        )
    return lines


def migrate_v1(run) -> dict:
    """Schema 1 → 2: arms stored without precision, steps per call or rounds were float32, one step
    per call, and ran as many rounds as their images/s has values."""
    m = dict(run.metrics)

    def spread(s):  # the median and range of the stored values, where the run kept none
        return s if "median" in s else encode(Summary.of(s["values"], spread=True))

    m["arms"] = {
        name: {
            "precision": "float32",
            "steps_per_execution": 1,
            "rounds": arm["images_per_s"].get("n", 1),
            **arm,
            **{k: spread(arm[k]) for k in ("images_per_s", "first_epoch_time", "test_accuracy")},
        }
        for name, arm in m["arms"].items()
    }
    if REFERENCE in m["arms"]:
        m.setdefault("speedup_vs", SPEEDUP_VS)
    m.setdefault("headline", None)
    return m


EXPERIMENT = Experiment(
    name="bench",
    description=DESCRIPTION,
    config=Config,
    run=run,
    resumable=RESUMABLE,
    migrate=migrate_v1,
    result=BenchResult,
)
