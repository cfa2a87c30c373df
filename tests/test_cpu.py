"""The CPU kinds keraslab has met, from stand-in /proc/cpuinfo files: each kind's settings and
precision are chosen from its flags, a user's own setting wins, and provenance states both."""

import pytest

from keraslab import cpu, fast

AMX = "fpu sse avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 amx_tile"
AVX512 = "fpu sse avx2 avx512f avx512bw avx512vl"
AVX2 = "fpu sse avx avx2 fma"
ARM = None  # an Arm CPU lists "Features", not "flags"

KINDS = [
    # flags line, kind, bf16 native, oneDNN chosen, TensorFlow precision of keraslab's path
    (AMX, "amx", True, "1", "mixed_bfloat16"),
    (AVX512, "avx512", False, "1", "float32"),
    (AVX512 + " avx512_bf16", "avx512", True, "1", "mixed_bfloat16"),  # Cooper Lake: bf16 without AMX
    (AVX2, "avx2", False, "1", "float32"),
]


@pytest.fixture(autouse=True)
def no_emulated_kind(monkeypatch):
    """The stand-in files decide the kind, whatever KERASLAB_EMULATE_KIND the environment running
    the suite sets (the test of emulation sets it itself)."""
    monkeypatch.delenv(cpu.EMULATE_ENV, raising=False)


def cpuinfo(tmp_path, flags_line=None, features=None):
    path = tmp_path / "cpuinfo"
    text = "processor\t: 0\nmodel name\t: stand-in\n"
    if flags_line is not None:
        text += f"flags\t\t: {flags_line}\n"
    if features is not None:
        text += f"Features\t: {features}\n"
    path.write_text(text + "\nprocessor\t: 1\n")
    return path


@pytest.mark.parametrize("flags_line, kind, bf16, onednn, precision", KINDS)
def test_each_cpu_kind_gets_its_settings(tmp_path, monkeypatch, flags_line, kind, bf16, onednn, precision):
    info = cpuinfo(tmp_path, flags_line)
    assert cpu.kind(info) == kind
    assert cpu.has_bf16(info) is bf16
    env = {}
    in_force = cpu.apply(env, info)
    assert env == {"TF_ENABLE_ONEDNN_OPTS": onednn}
    assert in_force["TF_ENABLE_ONEDNN_OPTS"]["source"] == f"keraslab ({kind})"
    assert in_force["TF_ENABLE_ONEDNN_OPTS"]["why"].startswith("oneDNN kernels on")
    monkeypatch.setattr(cpu, "CPUINFO", info)  # what the training path reads
    assert fast.resolve_precision_for("tensorflow") == precision
    assert fast.resolve_precision_for("jax") == "float32"
    described = cpu.describe(info, env)
    assert described["kind"] == kind and described["bf16_native"] is bf16
    assert described["tensorflow"]["TF_ENABLE_ONEDNN_OPTS"] == {
        "value": onednn,
        "why": in_force["TF_ENABLE_ONEDNN_OPTS"]["why"],
        "source": "keraslab",
    }


def test_a_users_own_setting_wins_and_is_stated(tmp_path):
    info = cpuinfo(tmp_path, AVX2)
    env = {"TF_ENABLE_ONEDNN_OPTS": "0"}
    in_force = cpu.apply(env, info)
    assert env == {"TF_ENABLE_ONEDNN_OPTS": "0"}
    assert in_force["TF_ENABLE_ONEDNN_OPTS"]["source"] == "user"
    assert cpu.describe(info, env)["tensorflow"]["TF_ENABLE_ONEDNN_OPTS"]["source"] == "user"


@pytest.mark.parametrize("content", ["arm", "empty", "missing"])
def test_other_cpus_keep_tensorflows_defaults(tmp_path, content):
    info = {
        "arm": lambda: cpuinfo(tmp_path, features="fp asimd bf16"),
        "empty": lambda: cpuinfo(tmp_path),
        "missing": lambda: tmp_path / "nothing",
    }[content]()
    assert cpu.kind(info) == "other"
    env = {}
    assert cpu.apply(env, info) == {} and env == {}
    assert cpu.has_bf16(info) is (content == "arm")  # Arm's bf16 is native


def test_the_report_states_the_kind_and_its_settings(tmp_path):
    from keraslab.report import cpu_kind_line

    env = {}
    cpu.apply(env, cpuinfo(tmp_path, AVX2))
    line = cpu_kind_line(cpu.describe(cpuinfo(tmp_path, AVX2), env))
    assert line.startswith("CPU kind: avx2 (flags avx2; bfloat16 not native: float32)")
    assert "TF_ENABLE_ONEDNN_OPTS=1 (keraslab: oneDNN kernels on" in line
    assert "not recorded" in cpu_kind_line(None)


def test_an_emulated_kind_is_decided_as_that_kind_and_stated_with_the_real_one(tmp_path, monkeypatch):
    """KERASLAB_EMULATE_KIND=avx2 on an AMX machine: float32 and oneDNN as on AVX2, the caps that
    hold each library to AVX2 in the environment the command re-executes with, and provenance and
    the report saying "emulated" and naming the real kind."""
    from keraslab.report import cpu_kind_line

    info = cpuinfo(tmp_path, AMX)
    monkeypatch.setattr(cpu, "CPUINFO", info)
    monkeypatch.setenv(cpu.EMULATE_ENV, "avx2")
    assert cpu.kind(info) == "avx2" and cpu.has_bf16(info) is False
    assert fast.resolve_precision_for("tensorflow") == "float32"
    env = cpu.emulation_environ({cpu.EMULATE_ENV: "avx2", "XLA_FLAGS": "--mine", "OPENBLAS_CORETYPE": "Zen"})
    assert env["ONEDNN_MAX_CPU_ISA"] == "AVX2" and env["MKL_ENABLE_INSTRUCTIONS"] == "AVX2"
    assert env["XLA_FLAGS"] == "--mine --xla_cpu_max_isa=AVX2"  # added to the user's flags
    assert env["OPENBLAS_CORETYPE"] == "Zen"  # the user's own choice wins
    assert cpu.emulation_environ(env) is None  # already in place: the command does not re-execute again
    assert cpu.emulation_environ({}) is None  # nothing asked for
    described = cpu.describe(info, env)
    assert described["kind"] == "avx2" and described["emulated_on"] == "amx" and not described["bf16_native"]
    assert described["caps"]["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    line = cpu_kind_line(described)
    assert line.startswith("CPU kind: avx2 (**emulated** on an amx CPU") and "ONEDNN_MAX_CPU_ISA=AVX2" in line
    monkeypatch.setenv(cpu.EMULATE_ENV, "avx3")
    with pytest.raises(ValueError, match="emulates avx2 or avx512"):
        cpu.kind(info)


def test_bfloat16_asked_for_on_the_avx2_kind_is_refused_with_the_way_out(tmp_path, monkeypatch):
    """oneDNN, which keraslab turns on for the AVX2 kind, has no bfloat16 convolutions there: a
    forced mixed_bfloat16 is refused before training, with what to do instead."""
    from keraslab.errors import KeraslabError

    monkeypatch.setattr(cpu, "CPUINFO", cpuinfo(tmp_path, AVX2))
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    with pytest.raises(
        KeraslabError, match=r"cannot train on TensorFlow on this CPU kind \(avx2\).*use float32 or auto"
    ):
        fast.resolve_precision_for("tensorflow", "mixed_bfloat16")
    assert fast.resolve_precision_for("tensorflow", "float32") == fast.resolve_precision_for("tensorflow") == "float32"
    assert fast.resolve_precision_for("jax", "mixed_bfloat16") == "mixed_bfloat16"  # XLA emulates it
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")  # TensorFlow's own kernels emulate it
    assert fast.resolve_precision_for("tensorflow", "mixed_bfloat16") == "mixed_bfloat16"
    monkeypatch.setattr(cpu, "CPUINFO", cpuinfo(tmp_path, AVX512))  # oneDNN has bf16 kernels from AVX-512 up
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    assert fast.resolve_precision_for("tensorflow", "mixed_bfloat16") == "mixed_bfloat16"


@pytest.mark.integration
def test_the_command_refuses_bfloat16_on_the_avx2_kind_before_any_run_starts(tmp_path):
    """The same refusal from `keraslab run`, the AVX2 kind emulated: one line, exit 2, no folder."""
    import json

    from conftest import run_cli

    config = tmp_path / "bf16.json"
    config.write_text(json.dumps({"precision": "mixed_bfloat16", "models": ["simple_cnn"], "n_train": 256}))
    proc = run_cli(
        "run", "cnn", "--profile", "quick", "--config", config, "--out", tmp_path / "runs",
        env={cpu.EMULATE_ENV: "avx2", "TF_ENABLE_ONEDNN_OPTS": "1"},
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "cannot train on TensorFlow on this CPU kind (avx2)" in proc.stderr + proc.stdout
    assert not (tmp_path / "runs" / "cnn").exists()
