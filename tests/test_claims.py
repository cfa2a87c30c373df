"""The claims engine on hand-written inputs: statistics, every check kind, boundaries, ties and
intervals, and a measure that raises. No training, no store on disk."""

import math
from types import SimpleNamespace as ns

import pytest

from keraslab.report import claims as C
from keraslab.report.claims import Arms, Category, Measured, judge

VERDICT_WORDS = set(C.VERDICTS)


def approx(expected, tol=0.0):
    return {"id": "t", "check": "approx", "expected": expected, "tolerance": tol}


def claim(check, expected=None, tol=None):
    return {"id": "t", "check": check, "expected": expected, "tolerance": tol, "reason": "a test"}


def m(mean, lo, hi, kind="seeds", n=3, std=0.01):
    return Measured(mean, lo, hi, kind, n, std)


ARMS3 = Arms({"adam": [0.90, 0.91, 0.92], "sgd": [0.80, 0.81, 0.83], "rmsprop": [0.85, 0.86, 0.86]})
ARMS_TIE = Arms({"adam": [0.90, 0.86, 0.92], "rmsprop": [0.89, 0.90, 0.88], "sgd": [0.70, 0.71, 0.72]})
FAST = Arms({"adam": [5, 6, 5], "sgd": [30, 32, 31], "rmsprop": [12, 11, 13]}, higher_is_better=False)


def ranked(check, expected, margin=None, resolution=None):
    c = claim(check, expected)
    if margin is not None:
        c["margin"] = margin
    if resolution is not None:
        c["resolution"] = resolution
    return c


CLOSE = Arms({"adam": [0.900, 0.901, 0.899], "rmsprop": [0.899, 0.900, 0.900], "sgd": [0.70, 0.71, 0.72]})
EPOCHS_SAME = Arms({"adam": [5, 5, 5], "rmsprop": [5, 5, 5], "sgd": [20, 21, 22]}, higher_is_better=False)

CASES = [
    # (name, claim, measured, expected verdict)
    # equivalence: consistent only when the whole interval lies inside expected ± tolerance
    ("inside the tolerance", approx(0.91, 0.03), m(0.90, 0.88, 0.92), C.CONSISTENT),
    ("interval edge on the tolerance edge", approx(0.90, 0.02), m(0.90, 0.88, 0.92), C.CONSISTENT),
    ("interval pokes out of the tolerance", approx(0.91, 0.02), m(0.90, 0.88, 0.92), C.INCONCLUSIVE),
    ("overlap is not agreement", approx(0.9945, 0.004), m(0.9928, 0.9903, 0.9953), C.INCONCLUSIVE),
    ("exactly at widened upper edge", approx(0.95, 0.03), m(0.90, 0.88, 0.92), C.INCONCLUSIVE),
    ("just beyond widened upper edge", approx(0.9501, 0.03), m(0.90, 0.88, 0.92), C.LOWER),
    ("guide below our interval", approx(0.80, 0.03), m(0.90, 0.88, 0.92), C.HIGHER),
    ("guide above our interval", approx(0.99, 0.03), m(0.90, 0.88, 0.92), C.LOWER),
    ("interval wider than tolerance", approx(0.90, 0.01), m(0.90, 0.85, 0.95), C.INCONCLUSIVE),
    ("a measured zero for a claimed gain", approx(0.0055, 0.003), m(0.0, -0.003, 0.003), C.INCONCLUSIVE),
    ("a zero gain, measured tightly", approx(0.0055, 0.003), m(0.0, -0.002, 0.002), C.LOWER),
    ("one seed has no interval", approx(0.90, 0.03), Measured.over_seeds([0.9]), C.INCONCLUSIVE),
    ("wide but decisively different", approx(0.50, 0.01), m(0.90, 0.80, 1.0), C.HIGHER),
    ("exact equal", claim("exact", 93322), Measured.exact(93322), C.CONSISTENT),
    ("exact lower", claim("exact", 1250858), Measured.exact(597354), C.LOWER),
    ("exact higher", claim("exact", 100), Measured.exact(101), C.HIGHER),
    ("at_least clears", claim("at_least", 0.97, 0.0), m(0.99, 0.985, 0.995), C.CONSISTENT),
    ("at_least on the bound", claim("at_least", 0.97, 0.0), m(0.975, 0.97, 0.98), C.CONSISTENT),
    ("at_least straddles", claim("at_least", 0.99, 0.0), m(0.99, 0.985, 0.995), C.INCONCLUSIVE),
    ("at_least below", claim("at_least", 0.99, 0.0), m(0.979, 0.97, 0.985), C.LOWER),
    ("at_least tolerance helps", claim("at_least", 0.99, 0.006), m(0.986, 0.984, 0.988), C.CONSISTENT),
    ("at_most holds", claim("at_most", 1e-6, 0.0), Measured.exact(3e-8), C.CONSISTENT),
    ("at_most exceeded", claim("at_most", 0.05, 0.0), m(0.10, 0.08, 0.12, "binomial", 200), C.HIGHER),
    ("range inside", claim("range", [0.05, 0.07], 0.0), m(0.06, 0.055, 0.065), C.CONSISTENT),
    ("range above", claim("range", [0.05, 0.07], 0.01), m(0.18, 0.15, 0.21), C.HIGHER),
    ("range below", claim("range", [0.05, 0.07], 0.0), m(0.01, 0.0, 0.02), C.LOWER),
    # a paired difference the guide says is positive
    ("positive difference", claim("positive", 0.0), m(0.01, 0.002, 0.018), C.CONSISTENT),
    ("spans 0, no margin: undecided", claim("positive", 0.0), m(0.01, -0.01, 0.03), C.INCONCLUSIVE),
    ("spans 0, inside the margin: tie", ranked("positive", 0.0, margin=0.02), m(0.0, -0.01, 0.01), C.TIE),
    ("spans 0, on the margin: tie", ranked("positive", 0.0, margin=0.01), m(0.0, -0.01, 0.01), C.TIE),
    ("spans 0, past the margin", ranked("positive", 0.0, margin=0.01), m(0.0, -0.011, 0.01), C.INCONCLUSIVE),
    ("negative difference", claim("positive", 0.0), m(-0.02, -0.03, -0.01), C.CONTRADICTED),
    ("one-seed difference", claim("positive", 0.0), Measured.over_seeds([0.02]), C.INCONCLUSIVE),
    # rankings on paired differences
    ("best, clear", claim("best", "adam"), ARMS3, C.CONSISTENT),
    ("best, wide and no margin", claim("best", "adam"), ARMS_TIE, C.INCONCLUSIVE),
    ("best, wide beyond the margin", ranked("best", "adam", margin=0.01), ARMS_TIE, C.INCONCLUSIVE),
    ("best, close inside the margin: tie", ranked("best", "adam", margin=0.01), CLOSE, C.TIE),
    ("best, contradicted", claim("best", "sgd"), ARMS3, C.CONTRADICTED),
    ("worst, clear", claim("worst", "sgd"), ARMS3, C.CONSISTENT),
    ("worst, contradicted", claim("worst", "adam"), ARMS3, C.CONTRADICTED),
    ("fastest (lower is better)", claim("best", "adam"), FAST, C.CONSISTENT),
    ("slowest (lower is better)", claim("worst", "sgd"), FAST, C.CONSISTENT),
    ("middle, clear", claim("middle", "rmsprop"), FAST, C.CONSISTENT),
    ("middle, but fastest", claim("middle", "adam"), FAST, C.CONTRADICTED),
    ("ranking on one seed", claim("best", "a"), Arms({"a": [1.0], "b": [0.0]}), C.INCONCLUSIVE),
    # a discrete measure: equal epochs in every seed are not a zero-width certainty
    ("equal epochs, no floor: a zero-width tie", ranked("best", "adam", margin=0.1), EPOCHS_SAME, C.TIE),
    (
        "equal epochs, one-epoch floor beyond the margin",
        ranked("best", "adam", margin=0.1, resolution=1),
        EPOCHS_SAME,
        C.INCONCLUSIVE,
    ),
    (
        "equal epochs, one-epoch floor inside the margin",
        ranked("best", "adam", margin=2, resolution=1),
        EPOCHS_SAME,
        C.TIE,
    ),
    ("categorical", claim("includes", "4<->9", 5), Category(["3<->5", "4<->9"]), C.CONSISTENT),
    ("includes, beyond top k", claim("includes", "6<->8", 2), Category(["3<->5", "4<->9", "6<->8"]), C.CONTRADICTED),
    ("same set", claim("same_set", ["4", "8", "9"]), Category(["9", "4", "8", "7"]), C.CONSISTENT),
    ("same set, partly", claim("same_set", ["4", "8", "9"]), Category(["9", "5", "8", "4"]), C.INCONCLUSIVE),
    ("same set, none", claim("same_set", ["4", "8", "9"]), Category(["1", "2", "3"]), C.CONTRADICTED),
    ("untestable", claim("untestable", 155530), None, C.NOT_TESTABLE),
    ("not measured", approx(0.9, 0.03), None, C.NOT_MEASURED),
]


@pytest.mark.parametrize("name, c, measured, expected", CASES, ids=[c[0] for c in CASES])
def test_verdict_table(name, c, measured, expected):
    v = judge(c, measured)
    assert v.word == expected, (name, v)
    assert v.word in VERDICT_WORDS


def test_inconclusive_says_how_many_seeds_would_settle_it():
    v = judge(approx(0.9895, 0.004), Measured.over_seeds([0.988, 0.991]))
    assert v.word == C.INCONCLUSIVE and "seeds would settle it" in v.note
    n = int(v.note.split("about ")[1].split()[0])
    need = 0.004 - abs(0.9895 - 0.9895)  # the interval must fit inside the tolerance around the estimate
    assert n > 2 and C.t_critical(n - 1) * 0.0021213 / math.sqrt(n) <= need
    assert C.t_critical(n - 2) * 0.0021213 / math.sqrt(n - 1) > need  # and no fewer would do


@pytest.mark.parametrize(
    "mean, expected, tol, want",
    [
        (0.90, 0.91, 0.03, 0.02),  # inside: the interval must fit in what is left of the tolerance
        (0.90, 0.95, 0.03, 0.02),  # outside: the interval must clear the widened value
        (0.90, 0.93, 0.03, 0.0),  # on the edge: no sample size decides
    ],
)
def test_the_settle_estimate_aims_at_the_decision_boundary(mean, expected, tol, want):
    assert C.target_half_width(m(mean, mean - 0.05, mean + 0.05), expected, tol) == pytest.approx(want)


def test_binomial_settle_estimate_counts_examples_for_the_right_half_width():
    # 0.95 on 200 examples, claim 0.91 ± 0.03: the interval must clear 0.94, half-width 0.01
    measured = Measured.binomial(190, 200)
    v = judge(approx(0.91, 0.03), measured)
    assert v.word == C.INCONCLUSIVE
    n = int(v.note.split("about ")[1].split()[0].replace(",", ""))
    assert n == math.ceil(C.Z95**2 * 0.95 * 0.05 / 0.01**2) and "this measure counts 200" in v.note


def test_a_zero_spread_is_floored_at_the_measures_resolution():
    same = Measured.over_seeds([67, 67, 67])
    assert (same.lo, same.hi) == (67, 67)
    floored = C.floored(same, 1)
    assert (floored.lo, floored.hi) == (66.5, 67.5)
    c = approx(67, 0.4)
    c["resolution"] = 1
    v = judge(c, same)
    assert v.word == C.INCONCLUSIVE and "resolution" in v.note  # one epoch cannot resolve ± 0.4


def test_ranking_rows_show_every_paired_interval_and_the_margin():
    v = judge(ranked("best", "adam", margin=0.01), CLOSE)
    assert "tie margin ± 0.01" in v.tolerance
    assert "vs rmsprop [" in v.note and "vs sgd [" in v.note


def test_t_interval_matches_a_hand_computation():
    mean, std, lo, hi = C.t_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and std == pytest.approx(1.0)
    assert hi - mean == pytest.approx(4.302652729911275 / math.sqrt(3))  # t(0.975, 2) = 4.3027
    assert C.t_interval([5.0])[2:] == (-math.inf, math.inf)


def test_wilson_interval_is_inside_0_1_and_contains_the_proportion():
    for k, n in ((0, 10), (10, 10), (980, 1000), (1, 3)):
        lo, hi = C.wilson(k, n)
        assert 0.0 <= lo <= k / n <= hi <= 1.0
    lo, hi = C.wilson(980, 1000)
    assert (lo, hi) == (pytest.approx(0.96931, abs=1e-5), pytest.approx(0.98702, abs=1e-5))


def test_paired_differences_are_signed_so_positive_means_better():
    assert ARMS3.paired("adam", "sgd").mean > 0
    assert FAST.paired("adam", "sgd").mean > 0  # fewer epochs is better


def test_a_measure_that_raises_fails_in_strict_mode():
    def broken(runs):
        raise KeyError("schema drift")

    found = {"broken": broken}
    claims = [
        {
            "id": "x",
            "section": "sequential",
            "wording": "w",
            "measure": "broken",
            "check": "approx",
            "expected": 1.0,
            "tolerance": 0.1,
            "reason": "r",
        }
    ]
    runs = {"sequential": object()}
    with pytest.raises(KeyError, match="schema drift"):
        C.evaluate(claims, runs, found, strict=True)
    (row,) = C.evaluate(claims, runs, found, strict=False)  # a user's report says why instead
    assert row.verdict.word == C.NOT_MEASURED and "schema drift" in row.verdict.note


def test_unfair_budget_is_not_judged():
    from keraslab import suite

    class Run:  # a cnn run's typed result with only the parts the measure reads
        result = ns(
            arms={
                "simple_cnn": ns(epochs=10, test_accuracy=ns(values=[0.99, 0.99]), train_time=ns(values=[1, 1])),
                "improved_cnn": ns(epochs=3, test_accuracy=ns(values=[0.98, 0.98]), train_time=ns(values=[2, 2])),
            },
        )

    claims = [
        {
            "id": "g",
            "section": "cnn",
            "wording": "w",
            "measure": "cnn_improved_gain",
            "check": "approx",
            "expected": 0.0055,
            "tolerance": 0.003,
            "reason": "r",
        }
    ]
    (row,) = C.evaluate(claims, {"cnn": Run()}, suite.all_measures(), strict=True)
    assert row.verdict.word == C.UNFAIR and "epochs differ" in row.verdict.note
    from keraslab.experiments.cnn import report as cnn_report

    assert suite.all_measures()["cnn_improved_gain"] is cnn_report.cnn_improved_gain
    assert cnn_report.PART.measures["cnn_improved_gain"] is cnn_report.cnn_improved_gain  # declared, not registered


def test_claims_file_is_complete_and_consistent():
    from keraslab import experiments, suite

    claims = suite.all_claims()
    for e in experiments.all_experiments():  # each claim lives in its experiment's folder, judged by its measures
        own = e.report().measures if e.report() else {}
        for c in e.claims():
            assert c["section"] == e.name
            assert c["check"] == "untestable" or c["measure"].split(":")[0] in own, c["id"]
    MEASURES = suite.all_measures()
    assert len(claims) >= 45
    assert len({c["id"] for c in claims}) == len(claims)
    kinds = {
        "approx",
        "exact",
        "at_least",
        "at_most",
        "range",
        "positive",
        "best",
        "worst",
        "middle",
        "includes",
        "same_set",
        "untestable",
    }
    for c in claims:
        assert c["check"] in kinds, c["id"]
        assert c["reason"].strip(), c["id"]
        if c["check"] in ("approx", "range"):
            assert c["tolerance"] is not None, c["id"]
        if c["check"] != "untestable":
            assert c["measure"].split(":")[0] in MEASURES, c["id"]


def test_no_guide_value_is_written_in_the_report_sources():
    from pathlib import Path

    import keraslab.report as report

    root = Path(report.__file__).parent
    text = "\n".join(p.read_text() for p in root.glob("*.py"))
    for value in (
        "0.9945",
        "1,250,858",
        "1250858",
        "0.59",
        "13×",
        "5-7",
        "0.9832",
        "0.9891",
        "0.9907",
        "93,322",
        "0.932",
        "0.925",
        "155,530",
        "0.9923",
    ):
        assert value not in text, value


def test_quick_profile_and_other_budgets_are_not_judged():
    class Run:
        def __init__(self, **config):
            self.config = config

    c = {"id": "e", "requires": {"epochs": 100}}
    assert "smoke test" in C.fairness(c, Run(profile="quick", epochs=100))
    assert "epochs = 12" in C.fairness(c, Run(profile="standard", epochs=12))
    assert C.fairness(c, Run(profile="standard", epochs=100)) == ""


def test_accuracy_over_seeds_is_never_narrower_than_one_test_sets_binomial_interval():
    # three seeds that all score 29/30: a zero-width t-interval, but 30 flowers do not pin 0.9667,
    # and evaluating three seeds on the same 30 flowers does not make them 90
    m3 = Measured.accuracy_over_seeds([29 / 30] * 3, 30)
    assert (m3.lo, m3.hi) == C.wilson(29, 30) and m3.n == 3 and m3.std == 0.0
    assert (m3.lo, m3.hi) == pytest.approx((Measured.accuracy_over_seeds([29 / 30] * 30, 30).lo, m3.hi))
    assert judge(approx(0.932, 0.034), m3).word == C.INCONCLUSIVE
    # with a real spread the t-interval is the wider one and is kept
    wide = Measured.accuracy_over_seeds([0.80, 0.90, 1.0], 10_000)
    assert wide.lo == pytest.approx(C.t_interval([0.80, 0.90, 1.0])[2])


def test_by_construction_claims_are_flagged_with_how_and_margins_have_reasons():
    from keraslab import suite

    claims = {c["id"]: c for c in suite.all_claims()}
    for cid in ("moons_accuracy", "cnn_simple_params", "api_equivalence", "cb_none_epochs"):
        assert claims[cid]["by_construction"].strip()
    for c in claims.values():
        if c["check"] in ("best", "worst", "middle", "positive"):
            assert c.get("margin") is not None and c["margin_reason"].strip(), c["id"]
