"""Which CPU this is, and the TensorFlow settings keraslab chooses for it.

Three x86 kinds have been seen running keraslab, and they want different settings:

============  =====================================  ==========================================
kind          flags that decide it                   what TensorFlow does by default
============  =====================================  ==========================================
``amx``       ``amx_bf16`` (Intel Sapphire Rapids+)  oneDNN kernels on; bfloat16 native
``avx512``    ``avx512f``, no bf16 (Skylake-SP ...)  oneDNN kernels **off**; no bfloat16 units
``avx2``      ``avx2``, no AVX-512 (AMD Zen 2 ...)   oneDNN kernels **off**; no bfloat16 units
``other``     none of them (Arm, old x86)            TensorFlow's own defaults, left alone
============  =====================================  ==========================================

TensorFlow's x86 wheels enable their oneDNN kernels by default only on CPUs with the
neural-network instructions of Intel's Cascade Lake and newer (AVX512_VNNI, AVX512_BF16, AMX;
TensorFlow 2.9's release notes), so the CPUs closest to a learner's laptop run the slower
Eigen kernels unless told otherwise. Measured on the AVX2 kind (AMD EPYC Zen 2, 2 cores; the
CPU-kinds issue's figures): plain Keras running the speedrun's recipe took 21.7 s twice with
the default and 11.6 s and 7.6 s with ``TF_ENABLE_ONEDNN_OPTS=1``, at the same test accuracy
(0.9904 vs 0.9901); a plain ``fit`` epoch of the Simple CNN went from 18.3 s to 13.5 s. So
keraslab turns oneDNN on for every x86 kind. A user's own ``TF_ENABLE_ONEDNN_OPTS`` always wins
(``setdefault``), and the choice is stored in every run's provenance with its reason.

**Emulating a kind** (``KERASLAB_EMULATE_KIND=avx2`` or ``avx512``): to measure a learner's
CPU on a bigger one, keraslab decides as on that kind (float32, no bf16 contestants) and caps the
vector instructions of the libraries that allow it at that kind's (:data:`EMULATION`: oneDNN in
TensorFlow and PyTorch, MKL, OpenBLAS, NumPy, XLA). PyTorch's own kernels and ``torch.compile``'s
generated code keep the real CPU's instructions (``ATEN_CPU_CAPABILITY=avx2`` made
``torch.compile`` fail with an out-of-bounds index in PyTorch 2.13): an advantage to PyTorch, so a
comparison keraslab wins under emulation errs against keraslab. The ``keraslab``
command re-executes itself with those variables set, so that they are in place before any library
loads, in it and in every process it starts. Provenance and the report say "emulated" and name the
real kind: clock, cache and memory stay the real machine's, so an emulated figure is evidence
about that kind's code paths, not a measurement of such a machine.

Precision follows the same kind (``keraslab.fast.resolve_precision_for``): bfloat16 only where
the CPU computes it natively (``amx``, or ``avx512`` machines with ``avx512_bf16``); emulated
bfloat16 is slower than float32. On the ``avx2`` kind a forced ``mixed_bfloat16`` is refused on
TensorFlow with oneDNN on: oneDNN has no bfloat16 convolutions for AVX2, and training crashed in
its first step (``keraslab.fast.bf16_refusal``). Steps per compiled call do not depend on the kind
(``keraslab.harness.steps_per_execution``: 16 on TensorFlow and JAX for MNIST, 1 on PyTorch).
"""

from __future__ import annotations

import os
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
KINDS = ("amx", "avx512", "avx2", "other")
BF16_FLAGS = ("amx_bf16", "avx512_bf16")
EMULATE_ENV = "KERASLAB_EMULATE_KIND"
#: per emulated kind, the variables that cap each library's vector instructions at that kind's
EMULATION = {
    "avx2": {
        "ONEDNN_MAX_CPU_ISA": "AVX2",  # oneDNN, in TensorFlow and in PyTorch
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",  # MKL, PyTorch's BLAS
        "OPENBLAS_CORETYPE": "Haswell",  # OpenBLAS, NumPy's BLAS
        "NPY_DISABLE_CPU_FEATURES": "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR",
        "XLA_FLAGS": "--xla_cpu_max_isa=AVX2",  # JAX's and TensorFlow's XLA
    },
    "avx512": {
        "ONEDNN_MAX_CPU_ISA": "AVX512_CORE",  # AVX-512 without VNNI, bf16 or AMX
        "MKL_ENABLE_INSTRUCTIONS": "AVX512",
        "OPENBLAS_CORETYPE": "SkylakeX",
        "NPY_DISABLE_CPU_FEATURES": "AVX512_CNL AVX512_ICL AVX512_SPR",
        "XLA_FLAGS": "--xla_cpu_max_isa=AVX512",
    },
}


def emulated(environ=None) -> str | None:
    """The kind ``KERASLAB_EMULATE_KIND`` asks for (None: the real one); an unknown kind is refused."""
    want = (os.environ if environ is None else environ).get(EMULATE_ENV, "").strip().lower()
    if not want:
        return None
    if want not in EMULATION:
        raise ValueError(f"{EMULATE_ENV}={want!r}: keraslab emulates {' or '.join(EMULATION)} (unset it for this CPU)")
    return want


def emulation_environ(environ=None) -> dict[str, str] | None:
    """``environ`` with the emulated kind's caps added (the user's own values kept), or None when
    no kind is emulated or the caps are already in place."""
    environ = dict(os.environ if environ is None else environ)
    want = emulated(environ)
    if want is None or environ.get("KERASLAB_EMULATING") == want:
        return None
    for name, value in EMULATION[want].items():
        if name == "XLA_FLAGS" and environ.get(name):
            environ[name] = f"{environ[name]} {value}"
        else:
            environ.setdefault(name, value)
    environ["KERASLAB_EMULATING"] = want
    return environ


def flags(cpuinfo: Path | None = None) -> set[str]:
    """The CPU's feature flags (x86 ``flags`` or Arm ``Features`` lines); empty if unreadable."""
    try:
        text = (cpuinfo or CPUINFO).read_text()
    except OSError:
        return set()
    found: set[str] = set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            found.update(line.split(":", 1)[1].split())
    return found


def kind(cpuinfo: Path | None = None) -> str:
    """``amx``, ``avx512``, ``avx2`` or ``other`` (see the module's table); the emulated kind when
    one is asked for."""
    return emulated() or _kind(flags(cpuinfo))


def has_bf16(cpuinfo: Path | None = None) -> bool:
    """True where the CPU computes bfloat16 natively (x86 AMX/AVX512_BF16, or Arm bf16); False
    when an AVX2 or AVX-512 kind without bf16 is emulated."""
    return False if emulated() else _bf16(flags(cpuinfo))


def tensorflow_settings(cpuinfo: Path | None = None) -> dict[str, dict[str, str]]:
    """Environment settings TensorFlow reads at import, chosen for this CPU kind:
    ``{variable: {"value": ..., "why": ...}}``."""
    return _settings(kind(cpuinfo))


def apply(environ=None, cpuinfo: Path | None = None) -> dict[str, dict[str, str]]:
    """Put the chosen settings into ``environ`` (``os.environ``) where the user set none; returns
    what is in force, each with ``source`` "keraslab (<kind>)" or "user". Call before TensorFlow
    is imported: it reads them once."""
    environ = os.environ if environ is None else environ
    k = kind(cpuinfo)
    in_force = {}
    for name, choice in _settings(k).items():
        if name in environ and environ[name] != choice["value"]:
            in_force[name] = {"value": environ[name], "why": "set by the user", "source": "user"}
        else:
            environ[name] = choice["value"]
            in_force[name] = {**choice, "source": f"keraslab ({k})"}
    return in_force


def describe(cpuinfo: Path | None = None, environ=None) -> dict:
    """For provenance: the kind, its deciding flags and the TensorFlow settings in this process."""
    environ = os.environ if environ is None else environ
    f = flags(cpuinfo)
    real = _kind(f)
    want = emulated(environ)
    k = want or real
    settings = {}
    for name, choice in _settings(k).items():
        value = environ.get(name)
        source = "keraslab" if value == choice["value"] else ("user" if value is not None else "TensorFlow default")
        settings[name] = {"value": value, "why": choice["why"] if source == "keraslab" else "", "source": source}
    found = {
        "kind": k,
        "flags": sorted(x for x in ("amx_bf16", "avx512_bf16", "avx512f", "avx2") if x in f),
        "bf16_native": False if want else _bf16(f),
        "tensorflow": settings,
    }
    if want:
        found["emulated_on"] = real
        found["caps"] = {name: environ.get(name) for name in EMULATION[want]}
    return found


def _kind(f: set[str]) -> str:
    if "amx_bf16" in f:
        return "amx"
    if "avx512f" in f:
        return "avx512"
    if "avx2" in f:
        return "avx2"
    return "other"


def _bf16(f: set[str]) -> bool:
    return any(x in f for x in BF16_FLAGS) or "bf16" in f


def _settings(k: str) -> dict[str, dict[str, str]]:
    if k == "other":
        return {}
    why = {
        "amx": "TensorFlow's default on this kind too; set explicitly so every kind states it",
        "avx512": "off by default without AVX512_VNNI/BF16/AMX; with this kind emulated, keraslab's float32 path "
        "measured 1.5-1.8x faster with them (6 rounds)",
        "avx2": "off by default on AVX2; measured 1.9-2.9x faster on the speedrun recipe (AMD EPYC Zen 2)",
    }[k]
    return {"TF_ENABLE_ONEDNN_OPTS": {"value": "1", "why": f"oneDNN kernels on: {why}"}}
