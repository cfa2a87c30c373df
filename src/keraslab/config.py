"""Experiment configs: one frozen dataclass per experiment, plus three profiles.

Every field has a default and a one-line ``help`` giving its reason; its allowed range lives in
the field's metadata and is checked in ``__post_init__`` so that a bad value is rejected with a
message naming the field. A config is saved as ``config.json`` with its results, and can be
read back from a JSON file (``keraslab run EXP --config FILE``) with unknown fields and wrong
types rejected.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path

from keraslab.errors import KeraslabError

PROFILES = ("quick", "standard", "full")
DEFAULT_PROFILE = "standard"
PROFILE_HELP = {
    "quick": "every experiment end to end on small subsets and few epochs (tests and CI)",
    "standard": "the original module guide's experiments at a size that reaches its targets here",
    "full": "the guide's own scale with more seeds; for a bigger machine",
}


def param(default, help: str, *, min=None, max=None, choices=None):
    """A config field: default, reason, and allowed range."""
    return field(default=default, metadata={"help": help, "min": min, "max": max, "choices": choices})


class ConfigError(KeraslabError):
    pass


def _check_type(name: str, value, hint) -> object:
    """Return ``value`` coerced to ``hint`` (lists to tuples, ints to floats) or raise."""
    origin = typing.get_origin(hint)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config field {name!r}: expected a list, got {type(value).__name__}")
        return tuple(_check_type(f"{name}[{i}]", v, item) for i, v in enumerate(value))
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"config field {name!r}: expected a number, got {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"config field {name!r}: expected a finite number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"config field {name!r}: expected an integer, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"config field {name!r}: expected true or false, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"config field {name!r}: expected a string, got {value!r}")
        return value
    raise TypeError(f"unsupported config type {hint!r} for {name}")  # a bug in keraslab, not input


def _check_range(name: str, value, meta) -> None:
    values = value if isinstance(value, tuple) else (value,)
    lo, hi, choices = meta.get("min"), meta.get("max"), meta.get("choices")
    for v in values:
        if choices is not None and v not in choices:
            raise ConfigError(f"config field {name!r}: {v!r} is not one of {', '.join(map(str, choices))}")
        if lo is not None and v < lo:
            raise ConfigError(f"config field {name!r}: {v!r} is below the minimum {lo}")
        if hi is not None and v > hi:
            raise ConfigError(f"config field {name!r}: {v!r} is above the maximum {hi}")


@dataclass(frozen=True)
class BaseConfig:
    """Fields every experiment has."""

    profile: str = param("standard", "which size preset produced this config", choices=PROFILES)
    seeds: tuple[int, ...] = param((0,), "one training per seed; claims rest on mean ± std", min=0, max=2**31 - 1)
    deterministic: bool = param(False, "exact repeats on one machine (slower: op determinism)")

    def __post_init__(self):
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value = _check_type(f.name, getattr(self, f.name), hints[f.name])
            _check_range(f.name, value, f.metadata)
            object.__setattr__(self, f.name, value)
        if not self.seeds:
            raise ConfigError("config field 'seeds': give at least one seed")
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError("config field 'seeds': seeds must be distinct")
        self.validate()

    def validate(self) -> None:
        """Cross-field checks; override in a subclass."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, **overrides):
        if not isinstance(data, dict):
            raise ConfigError(f"a config must be a JSON object, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(
                f"unknown config field {unknown[0]!r} for {cls.__name__}; known fields: {', '.join(sorted(names))}"
            )
        return cls(**{**data, **overrides})

    @classmethod
    def for_profile(cls, profile: str, **overrides):
        """The config of ``profile``: ``overrides`` over the class's ``PRESETS[profile]`` over the defaults."""
        if profile not in PROFILES:
            raise ConfigError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
        preset = {**getattr(cls, "PRESETS", {}).get(profile, {}), **overrides}
        return cls.from_dict(preset, profile=profile)

    @classmethod
    def describe(cls) -> list[tuple[str, object, str]]:
        return [(f.name, f.default, f.metadata.get("help", "")) for f in dataclasses.fields(cls)]


def load_config_file(path: str | Path) -> dict:
    """Read a JSON config file; any problem is one clear error."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a JSON object of config fields")
    return data


def seeds_for(n: int) -> tuple[int, ...]:
    if n < 1:
        raise ConfigError(f"--seeds must be at least 1, got {n}")
    return tuple(range(n))
