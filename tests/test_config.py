import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keraslab import experiments
from keraslab.config import ConfigError, load_config_file
from keraslab.experiments.sequential import Config


@pytest.mark.parametrize("name", experiments.names(include_standalone=True))
@pytest.mark.parametrize("profile", ["quick", "standard", "full"])
def test_every_profile_of_every_experiment_validates(name, profile):
    cfg = experiments.get(name).config.for_profile(profile)
    assert cfg.profile == profile
    assert cfg.to_dict()["seeds"]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": -5}, "epochs"),
        ({"epochs": 2.5}, "epochs"),
        ({"epochs": True}, "epochs"),
        ({"epochs": "10"}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"moons_noise": -0.1}, "moons_noise"),
        ({"optimizers": ["adam", "lbfgs"]}, "optimizers"),
        ({"optimizers": "adam"}, "optimizers"),
        ({"seeds": []}, "seeds"),
        ({"seeds": [1, 1]}, "seeds"),
        ({"seeds": [-1]}, "seeds"),
        ({"profile": "huge"}, "profile"),
        ({"converge_at": 1.5}, "converge_at"),
    ],
)
def test_bad_values_are_rejected_naming_the_field(overrides, field):
    with pytest.raises(ConfigError, match=repr(field)):
        Config.from_dict(overrides)


def test_unknown_field_is_rejected():
    with pytest.raises(ConfigError, match="unknown config field 'epochz'"):
        Config.from_dict({"epochz": 3})


def test_config_is_frozen_and_lists_become_tuples():
    cfg = Config.from_dict({"seeds": [3, 4], "optimizers": ["adam"]})
    assert cfg.seeds == (3, 4) and cfg.optimizers == ("adam",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.epochs = 3


def test_every_field_documents_its_reason():
    for name in experiments.names(include_standalone=True):
        for fname, _, help_text in experiments.get(name).config.describe():
            assert help_text, f"{name}.{fname} has no help text"


def test_config_file_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config_file(bad)
    lst = tmp_path / "list.json"
    lst.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="JSON object"):
        load_config_file(lst)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config_file(tmp_path / "missing.json")


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.lists(st.integers(-3, 5), max_size=3),
    st.lists(st.sampled_from(["sgd", "adam", "x"]), max_size=3),
)
field_names = st.sampled_from([f.name for f in dataclasses.fields(Config)] + ["bogus", "lr"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(field_names, values, max_size=4))
def test_any_config_validates_or_names_the_field(data):
    try:
        cfg = Config.from_dict(data)
    except ConfigError as exc:
        assert any(repr(k) in str(exc) or f"'{k}[" in str(exc) for k in data), str(exc)
    else:
        again = Config.from_dict(json.loads(json.dumps(cfg.to_dict())))
        assert again == cfg
