"""The typed-result codec (keraslab.results): what decodes, what is refused and how it is named."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from keraslab.results import ResultError, Summary, decode, encode, key


@dataclass(frozen=True, kw_only=True)
class Point:
    x: float
    label: str | None = None
    class_: int = key("class")


@dataclass(frozen=True, kw_only=True)
class Shape:
    points: list[Point]
    by_name: dict[str, Summary]
    flags: dict[str, bool | int | float | str]
    best: Point | None


def test_a_result_round_trips_through_json_values():
    shape = Shape(
        points=[Point(x=1, class_=0), Point(x=2.5, label="b", class_=1)],
        by_name={"a": Summary.of([1, 2, 3]), "b": Summary.of([4.0, 1.0], spread=True)},
        flags={"patience": 3, "restore": True, "factor": 0.5, "monitor": "val_loss"},
        best=None,
    )
    data = encode(shape)
    assert data["points"][0] == {"x": 1, "class": 0}  # None optionals left out; "class" under its stored key
    assert data["by_name"]["a"] == {"mean": 2.0, "std": 1.0, "n": 3, "values": [1.0, 2.0, 3.0]}
    assert data["by_name"]["b"]["median"] == 2.5 and data["by_name"]["b"]["min"] == 1.0
    back = decode(Shape, data)
    assert back == shape and isinstance(back.points[0].x, float)
    assert back.flags == {"patience": 3, "restore": True, "factor": 0.5, "monitor": "val_loss"}
    assert type(back.flags["patience"]) is int and type(back.flags["restore"]) is bool  # not widened to float


@pytest.mark.parametrize(
    "data, message",
    [
        ({"points": [{"x": "1", "class": 0}]}, r"points\[0\]\.x: expected float, got str"),
        ({"points": [{"x": 1.0}]}, r"points\[0\]: missing 'class'"),
        ({"points": [{"x": 1.0, "class": 0, "y": 2}]}, r"points\[0\]: unknown key\(s\) y for Point"),
        ({"points": [{"x": 1.0, "class": True}]}, r"points\[0\]\.class: expected int, got bool"),
        ({"points": {"x": 1.0}}, r"points: expected a list, got dict"),
    ],
)
def test_a_value_that_does_not_fit_is_refused_with_its_path(data, message):
    full = {"by_name": {}, "flags": {}, "best": None, "points": []} | data
    with pytest.raises(ResultError, match=message):
        decode(Shape, full, "shape")


def test_summary_of_values_matches_the_sample_statistics():
    s = Summary.of([1.0, 2.0, 4.0], spread=True)
    assert s.mean == pytest.approx(7 / 3) and s.std == pytest.approx(1.5275252, rel=1e-6) and s.n == 3
    assert (s.median, s.min, s.max) == (2.0, 1.0, 4.0)
    assert Summary.of([5.0]).std == 0.0  # one value: no spread
    assert Summary.of([0.5, 0.25]).scaled(100).values == [50.0, 25.0]
