"""Typed results: the dataclasses an experiment's ``metrics.json`` is written from and read into.

Each experiment declares its result as dataclasses (``<experiment>/result.py``); ``run`` returns
one, :func:`encode` writes it as plain JSON, and :meth:`keraslab.experiment.Experiment.upgrade`
reads a stored run back through :func:`decode` into ``run.result``, which its figures and report
read by attribute (``run.result.arms["adam"].test_accuracy.mean``). Decoding is strict: a
missing field, an unknown key or a value of the wrong type names its path and fails, so a
reader never meets a half-filled result, and an older schema is upgraded by one migration
(:attr:`Experiment.migrate`) before it is decoded, not by ``.get`` fallbacks in the readers.

Light: the standard library only.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass
from typing import Any

#: keys the store adds to every metrics.json beside the experiment's own result
STORE_KEYS = ("schema", "status")


class ResultError(ValueError):
    """A stored result does not match its declared type."""


@dataclass(frozen=True)
class Summary:
    """The glossary's *summary*: a quantity over seeds (or a benchmark's rounds).

    ``std`` is the sample standard deviation (ddof=1; 0 for one value). A benchmark also stores
    the median and the range of its rounds."""

    mean: float
    std: float
    n: int
    values: list[float]
    median: float | None = None
    min: float | None = None
    max: float | None = None

    @classmethod
    def of(cls, values, *, spread: bool = False) -> Summary:
        """The summary of ``values``; ``spread`` adds their median, min and max."""
        values = [float(v) for v in values]
        n = len(values)
        mean = sum(values) / n if n else float("nan")
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
        if not spread:
            return cls(mean, std, n, values)
        ordered = sorted(values)
        mid = n // 2
        median = ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        return cls(mean, std, n, values, median, ordered[0], ordered[-1])

    def scaled(self, factor: float) -> Summary:
        """The same quantity in other units (e.g. a fraction as a percentage)."""

        def s(v):
            return None if v is None else v * factor

        return Summary(
            self.mean * factor, self.std * factor, self.n, [v * factor for v in self.values], s(self.median),
            s(self.min), s(self.max),
        )  # fmt: skip


def key(name: str):
    """A field stored under another key (one that is not a Python name, e.g. ``class``):
    ``class_: int = key("class")``."""
    return dataclasses.field(metadata={"key": name})


def encode(obj):
    """A result (dataclasses, dicts, lists, numbers, strings) as plain JSON values. An optional
    field left at its default ``None`` is left out, so a summary without a spread stays four keys."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if value is None and f.default is None:
                continue
            out[f.metadata.get("key", f.name)] = encode(value)
        return out
    if isinstance(obj, dict):
        return {str(k): encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [encode(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):  # a NumPy scalar
        return obj.item()
    return obj


def decode(tp, data, where: str = "result"):
    """``data`` (plain JSON values) as type ``tp``: a dataclass, ``dict[str, T]``, ``list[T]``,
    ``tuple[T, ...]``, ``T | None``, ``Any`` or a JSON scalar type. Raises :class:`ResultError`
    naming the path of the first value that does not fit."""
    if tp is Any:
        return data
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return decode(option, data, where)
            except ResultError as exc:
                errors.append(str(exc))
        raise ResultError("; ".join(errors) or f"{where}: expected {tp}, got None")
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ResultError(f"{where}: expected an object ({tp.__name__}), got {type(data).__name__}")
        hints = typing.get_type_hints(tp)
        fields = {f.metadata.get("key", f.name): f for f in dataclasses.fields(tp) if f.init}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ResultError(f"{where}: unknown key(s) {', '.join(unknown)} for {tp.__name__}")
        kwargs = {}
        for key, f in fields.items():
            if key in data:
                kwargs[f.name] = decode(hints[f.name], data[key], f"{where}.{key}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ResultError(f"{where}: missing {key!r} ({tp.__name__})")
        return tp(**kwargs)
    if origin is dict:
        _, value_type = typing.get_args(tp) or (str, Any)
        if not isinstance(data, dict):
            raise ResultError(f"{where}: expected an object, got {type(data).__name__}")
        return {k: decode(value_type, v, f"{where}.{k}") for k, v in data.items()}
    if origin in (list, tuple):
        if not isinstance(data, list):
            raise ResultError(f"{where}: expected a list, got {type(data).__name__}")
        args = typing.get_args(tp)
        item = args[0] if args else Any
        items = [decode(item, v, f"{where}[{i}]") for i, v in enumerate(data)]
        return items if origin is list else tuple(items)
    if tp is float:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return float(data)
    elif tp is int:
        if isinstance(data, int) and not isinstance(data, bool):
            return data
    elif tp in (str, bool):
        if isinstance(data, tp):
            return data
    else:
        raise ResultError(f"{where}: {tp!r} is not a type a result can declare")
    raise ResultError(f"{where}: expected {tp.__name__}, got {type(data).__name__} {data!r:.40}")


def decode_metrics(tp, metrics: dict, experiment: str = "result"):
    """A stored ``metrics.json`` (the store's own keys set aside) as the experiment's result type."""
    return decode(tp, {k: v for k, v in metrics.items() if k not in STORE_KEYS}, f"{experiment} metrics.json")
