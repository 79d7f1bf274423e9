"""Bad strategy files through ``indexer validate`` (and ``strategy show``): exit 2, one line, the file and field named."""

from __future__ import annotations

from pathlib import Path

import pytest
from badkit import GOOD_STRATEGY, assert_refused, snapshot

_BOMB = "name: lol\nextra:\n  a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10)
)
_DEEP = "name: deep\nextra: " + "[" * 20000 + "]" * 20000 + "\n"


def _s(extra: str) -> str:
    return "name: t\n" + extra


#: case -> (file bytes, needles the one-line error must contain)
CASES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    # -- the reading gate
    "utf16": (GOOD_STRATEGY.encode("utf-16"), ("encoded as UTF-16",)),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00", ("binary content",)),
    "latin1": ("name: caf\u00e9\n".encode("latin-1"), ("not UTF-8 text", "line 1")),
    "empty": (b"", ("empty strategy file",)),
    "only_spaces": (b"   \n\n", ("empty strategy file",)),
    "only_comments": (b"# nothing here\n", ("holds only comments",)),
    "duplicate_key": (_s("universe: {top_n: 5}\nuniverse: {top_n: 6}\n").encode(), ("duplicate key 'universe' on line 3",)),
    "duplicate_nested_key": (_s("universe:\n  top_n: 5\n  top_n: 6\n").encode(), ("duplicate key 'top_n' on line 4",)),
    "deep_nesting": (_DEEP.encode(), ("nesting deeper than 32 levels",)),
    "alias_bomb": (_BOMB.encode(), ("more than 64 YAML aliases",)),
    "yaml_syntax": (_s("universe: {top_n: 5\n").encode(), ("not valid YAML at line",)),
    "too_large": (b"name: big\n" + b"# padding padding padding\n" * 50_000, ("over the 1,048,576-byte limit",)),
    "top_level_list": (b"- a\n- b\n", ("a strategy must be a mapping",)),
    # -- strict types
    "top_n_yes": (_s("universe: {top_n: yes}\n").encode(), ("universe.top_n", "valid integer", "True")),
    "top_n_string": (_s("universe: {top_n: '10'}\n").encode(), ("universe.top_n", "valid integer")),
    "top_n_float": (_s("universe: {top_n: 2.5}\n").encode(), ("universe.top_n",)),
    "window_bool": (_s("estimation_window: no\n").encode(), ("estimation_window",)),
    "max_weight_yes": (_s("optimiser: {objective: equal_weight, constraints: {max_weight: yes}}\n").encode(),
                       ("optimiser.constraints.max_weight",)),
    "param_yes": (_s("optimiser: {objective: market_cap, params: {max_weight: yes}}\n").encode(),
                  ("params.max_weight", "finite number", "True")),
    "param_nan": (_s("optimiser: {objective: mean_variance, params: {risk_aversion: .nan}}\nsignals: {signals: [momentum]}\n").encode(),
                  ("params.risk_aversion",)),
    "fixed_weight_text": (_s("optimiser: {objective: fixed, params: {weights: {BTC: half, ETH: 0.5}}}\n").encode(),
                          ("params.weights.BTC", "finite number")),
    "drift_string": (_s("rebalance: {drift_abs: '0.05'}\n").encode(), ("rebalance.drift_abs",)),
    "unknown_field": (_s("universe: {top_m: 5}\n").encode(), ("universe.top_m", "unknown field", "top_n")),
    "empty_universe_value": (_s("empty_universe: hold\n").encode(), ("empty_universe",)),
    # -- asset names against the registry
    "exclude_typo": (_s("universe: {top_n: 5, exclude: [ETHH]}\n").encode(),
                     ("universe.exclude", "unknown asset 'ETHH'", "did you mean 'ETH'")),
    "include_typo": (_s("universe: {top_n: 5, include: [BTCC]}\n").encode(), ("universe.include", "'BTCC'", "did you mean 'BTC'")),
    "restricted_typo": (_s("compliance: {profile: {jurisdiction: US}, rules: {restricted: [XMRR]}}\n").encode(),
                        ("compliance.rules.restricted", "'XMRR'")),
    "per_asset_typo": (_s("optimiser: {objective: equal_weight, constraints: {per_asset: {SOLL: {max: 0.1}}}}\n").encode(),
                       ("optimiser.constraints.per_asset", "'SOLL'", "did you mean 'SOL'")),
    "fixed_weights_typo": (_s("optimiser: {objective: fixed, params: {weights: {BTC: 0.5, ETHEREUM: 0.5}}}\n").encode(),
                           ("optimiser.params.weights", "'ETHEREUM'")),
    "jurisdiction_ban_typo": (_s("compliance: {profile: {jurisdiction: US}, rules: {jurisdiction_bans: {US: {symbols: [DOGEE]}}}}\n").encode(),
                              ("jurisdiction_bans.US.symbols", "'DOGEE'", "did you mean 'DOGE'")),
    # -- feasibility
    "caps_never_sum_to_one": (_s("universe: {top_n: 5}\noptimiser: {objective: equal_weight, constraints: {max_weight: 0.05}}\n").encode(),
                              ("optimiser.constraints.max_weight 0.05 x at most 5 assets (universe.top_n)", "never sum to 1")),
    "mcap_cap_infeasible": (_s("universe: {top_n: 3}\noptimiser: {objective: market_cap, params: {max_weight: 0.2}}\n").encode(),
                            ("optimiser.params.max_weight 0.2 x at most 3 assets",)),
    "max_holdings_cap": (_s("universe: {top_n: 10}\noptimiser: {objective: equal_weight, constraints: {max_weight: 0.2, max_holdings: 4}}\n").encode(),
                         ("optimiser.constraints.max_holdings",)),
    "min_weight_floor": (_s("universe: {top_n: 10}\noptimiser: {objective: equal_weight, constraints: {min_weight: 0.15}}\n").encode(),
                         ("optimiser.constraints.min_weight 0.15 x 10 assets",)),
    "min_over_max": (_s("optimiser: {objective: equal_weight, constraints: {min_weight: 0.3, max_weight: 0.2}}\n").encode(),
                     ("min_weight 0.3 > max_weight 0.2",)),
    "per_asset_min_over_cap": (_s("optimiser: {objective: equal_weight, constraints: {max_weight: 0.2, per_asset: {BTC: {min: 0.3}}}}\n").encode(),
                               ("per_asset.BTC.min 0.3 > optimiser.constraints.max_weight 0.2",)),
    "per_asset_minimums": (_s("optimiser: {objective: equal_weight, constraints: {per_asset: {BTC: {min: 0.6}, ETH: {min: 0.6}}}}\n").encode(),
                           ("per_asset minimums + cash_min sum to 1.2",)),
    "theme_budget": (_s("universe: {themes: [defi]}\noptimiser: {objective: equal_weight, constraints: {theme_caps: {defi: 0.5}}}\n").encode(),
                     ("theme_caps (defi 0.5)", "never sum to 1")),
    "theme_caps_typo": (_s("optimiser: {objective: market_cap, constraints: {theme_caps: {defii: 0.3}}}\n").encode(),
                        ("optimiser.constraints.theme_caps", "unknown theme(s) ['defii']", "did you mean 'defi'")),
    "stablecoin_min": (_s("optimiser: {objective: equal_weight, constraints: {stablecoin_min: 0.2}}\n").encode(),
                       ("stablecoin_min 0.2",)),
    "fixed_over_cap": (_s("optimiser: {objective: fixed, params: {weights: {BTC: 0.7, ETH: 0.3}}, constraints: {max_weight: 0.5}}\n").encode(),
                       ("optimiser.params.weights.BTC 0.7 > its cap 0.5",)),
    "per_asset_excluded": (_s("universe: {exclude: [BTC]}\noptimiser: {objective: equal_weight, constraints: {per_asset: {BTC: {min: 0.1}}}}\n").encode(),
                           ("per_asset.BTC", "universe.exclude")),
    "buffer_without_top_n": (_s("universe: {buffer: {enter: 3, exit: 5}}\n").encode(), ("buffer needs top_n",)),
    # -- user constraints (optimiser.constraints.linear / custom) and objectives
    "linear_asset_typo": (_s("optimiser: {objective: min_variance, constraints: {linear: [{assets: {BTCC: 1}, max: 0.5}]}}\n").encode(),
                          ("optimiser.constraints.linear[0].assets", "unknown asset 'BTCC'", "did you mean 'BTC'")),
    "linear_group_typo": (_s("optimiser: {objective: min_variance, constraints: {linear: [{group: defii, max: 0.2}]}}\n").encode(),
                          ("optimiser.constraints.linear[0].group", "unknown group 'defii'", "did you mean 'defi'")),
    "linear_no_bound": (_s("optimiser: {objective: min_variance, constraints: {linear: [{assets: {BTC: 1}}]}}\n").encode(),
                        ("optimiser.constraints.linear[0]", "needs min or max")),
    "linear_min_over_max": (_s("optimiser: {objective: min_variance, constraints: {linear: [{group: defi, min: 0.5, max: 0.2}]}}\n").encode(),
                            ("optimiser.constraints.linear[0]", "min 0.5 > max 0.2")),
    "linear_assets_and_group": (_s("optimiser: {objective: min_variance, constraints: {linear: [{assets: {BTC: 1}, group: defi, max: 0.2}]}}\n").encode(),
                                ("optimiser.constraints.linear[0]", "exactly one of assets")),
    "linear_coefficient_text": (_s("optimiser: {objective: min_variance, constraints: {linear: [{assets: {BTC: one}, max: 0.2}]}}\n").encode(),
                                ("optimiser.constraints.linear[0].assets.BTC", "valid number")),
    "linear_unknown_field": (_s("optimiser: {objective: min_variance, constraints: {linear: [{assets: {BTC: 1}, maximum: 0.2}]}}\n").encode(),
                             ("optimiser.constraints.linear[0].maximum", "unknown field", "max")),
    "linear_not_a_list": (_s("optimiser: {objective: min_variance, constraints: {linear: {assets: {BTC: 1}, max: 0.2}}}\n").encode(),
                          ("optimiser.constraints.linear", "valid list")),
    "custom_not_importable": (_s("optimiser: {objective: min_variance, constraints: {custom: [nosuch.module.fn]}}\n").encode(),
                              ("optimiser.constraints.custom", "custom[0]", "cannot import 'fn' from 'nosuch.module'")),
    "custom_not_dotted": (_s("optimiser: {objective: min_variance, constraints: {custom: [my_rule]}}\n").encode(),
                          ("optimiser.constraints.custom", "'my_rule': give a dotted path")),
    "objective_path_not_importable": (_s("optimiser: {objective: nosuch.module.objective}\n").encode(),
                                      ("optimiser.objective", "cannot import 'objective' from 'nosuch.module'")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_refuses_bad_strategy_file(cli, tmp_path: Path, case: str) -> None:
    data, needles = CASES[case]
    f = tmp_path / f"{case}.yaml"
    f.write_bytes(data)
    before = snapshot(tmp_path)
    r = cli(["validate", f])
    assert_refused(r, f.name, *needles)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("kind", ["directory", "missing"])
def test_validate_refuses_paths_that_are_not_files(cli, tmp_path: Path, kind: str) -> None:
    p = tmp_path / "folder.yaml"
    if kind == "directory":
        p.mkdir()
    r = cli(["validate", p])
    assert_refused(r, str(p), "is a directory" if kind == "directory" else "no such file")


def test_strategy_show_refuses_with_the_same_line(cli, tmp_path: Path) -> None:
    f = tmp_path / "dup.yaml"
    f.write_bytes(CASES["duplicate_key"][0])
    assert_refused(cli(["strategy", "show", f]), "dup.yaml", "duplicate key 'universe'")


def test_every_shipped_strategy_still_validates(cli) -> None:
    from badkit import REPO

    files = sorted((REPO / "strategies").glob("*.yaml"))
    r = cli(["validate", *files])
    assert r.code == 0, r.stderr
    assert r.stdout.count("ok ") == len(files)


def test_utf8_bom_is_accepted_and_said(cli, tmp_path: Path) -> None:
    f = tmp_path / "bom.yaml"
    f.write_bytes(b"\xef\xbb\xbf" + b"name: bom\nuniverse: {top_n: 5}\n")
    r = cli(["validate", f])
    assert r.code == 0
    assert "UTF-8 byte-order mark found and skipped" in r.stderr and "bom.yaml" in r.stderr


def test_validate_data_checks_target_return_against_the_data(cli, reference, tmp_path: Path) -> None:
    f = tmp_path / "goal.yaml"
    f.write_text("name: goal\nuniverse: {top_n: 5}\noptimiser: {objective: target_return, params: {required_return: 50.0}}\n")
    assert cli(["validate", f]).code == 0  # decidable only with prices
    r = cli(["validate", f, "--data"])
    assert_refused(r, "goal.yaml", "optimiser.params.required_return 50 is above the best eligible asset's mean annual return",
                   "if_unreachable: max_return")
    f.write_text("name: goal\nuniverse: {top_n: 5}\noptimiser: {objective: target_return, params: {required_return: 0.01}}\n")
    assert cli(["validate", f, "--data"]).code == 0
