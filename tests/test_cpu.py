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
