"""Bad strategy files give a ConfigError naming the file, the field path and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from indexer.exceptions import ConfigError
from indexer.strategy import Strategy

GOOD = {
    "name": "t",
    "universe": {"top_n": 10, "min_history_days": 90},
    "optimiser": {"objective": "market_cap", "params": {"max_weight": 0.25}},
    "rebalance": {"every": "monthly"},
}


def _write(tmp_path: Path, doc: dict, name: str = "bad.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(doc))
    return p


def _with(path: str, value) -> dict:
    doc = yaml.safe_load(yaml.safe_dump(GOOD))
    keys = path.split(".")
    cur = doc
    for k in keys[:-1]:
        cur = cur.setdefault(k, {})
    cur[keys[-1]] = value
    return doc


@pytest.mark.parametrize(
    "path, value, field, allowed",
    [
        ("optimiser.params.max_weight", 1.5, "optimiser.params.max_weight", "(0, 1]"),
        ("optimiser.objective", "magic", "optimiser.objective", "market_cap, equal_weight"),
        ("optimiser.constraints.max_weight", 2, "optimiser.constraints.max_weight", "less than or equal to 1"),
        ("universe.top_n", 0, "universe.top_n", "greater than or equal to 1"),
        ("universe.colour", "red", "universe.colour", "allowed here: top_n, rank_by"),
        ("universe.exclude_kinds", ["stable"], "universe.exclude_kinds", "stablecoin, exchange"),
        ("universe.themes", ["unicorns"], "universe.themes", "defi"),
        ("universe.rank_by", "price", "universe.rank_by", "'market_cap' or 'volume'"),
        ("rebalance.every", "hourly", "rebalance.every", "'daily', 'weekly', 'monthly' or 'quarterly'"),
        ("rebalance.weekday", "someday", "rebalance.weekday", "mon, tue"),
        ("compliance.profile.accredited", "maybe", "compliance.profile.accredited", "valid boolean"),
        ("compliance.rules.max_weight_per_kind", {"meme": 1.5}, "compliance.rules.max_weight_per_kind.meme", "[0, 1]"),
        ("estimation_window", 1, "estimation_window", "greater than or equal to 2"),
        ("extra_top", 1, "extra_top", "allowed here: name, description, universe"),
    ],
)
def test_bad_field_names_file_path_and_allowed(tmp_path: Path, path: str, value, field: str, allowed: str) -> None:
    p = _write(tmp_path, _with(path, value))
    with pytest.raises(ConfigError) as err:
        Strategy.from_yaml(p)
    msg = str(err.value)
    assert str(p) in msg
    assert f": {field}:" in msg
    assert allowed in msg


def test_bad_overlay_names_index_and_allowed_overlays(tmp_path: Path) -> None:
    p = _write(tmp_path, {**GOOD, "overlays": [{"name": "vol_target", "target": 0.4}, {"name": "moonshot"}]})
    with pytest.raises(ConfigError, match=r"overlays\[1\].*'regime_filter', 'vol_target', 'drawdown_guard'"):
        Strategy.from_yaml(p)
    p = _write(tmp_path, {**GOOD, "overlays": [{"name": "vol_target", "targt": 0.4}]})
    with pytest.raises(ConfigError, match=r"overlays\[0\]\.targt: unknown field; allowed here: name, target, window"):
        Strategy.from_yaml(p)


def test_buffer_must_bracket_top_n(tmp_path: Path) -> None:
    p = _write(tmp_path, _with("universe.buffer", {"enter": 8, "exit": 9}))
    with pytest.raises(ConfigError, match=r"universe\.buffer.*enter <= top_n <= exit"):
        Strategy.from_yaml(p)


def test_score_objective_without_signals_is_rejected() -> None:
    doc = _with("optimiser", {"objective": "mean_variance"})
    with pytest.raises(ConfigError, match=r"<mine>: optimiser\.objective: .*signals"):
        Strategy.from_dict(doc, source="<mine>")


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    p = tmp_path / "broken.yaml"
    p.write_text("name: x\nuniverse: {top_n: 10\noptimiser: {}\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml: not valid YAML at line \d+"):
        Strategy.from_yaml(p)


def test_empty_missing_and_non_mapping_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(ConfigError, match="empty.yaml: empty strategy file"):
        Strategy.from_yaml(empty)
    with pytest.raises(ConfigError, match="nope.yaml: cannot read strategy file"):
        Strategy.from_yaml(tmp_path / "nope.yaml")
    lst = tmp_path / "list.yaml"
    lst.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="list.yaml: a strategy must be a mapping"):
        Strategy.from_yaml(lst)


def test_name_defaults_to_file_stem(tmp_path: Path) -> None:
    doc = dict(GOOD)
    doc.pop("name")
    s = Strategy.from_yaml(_write(tmp_path, doc, "my_index.yaml"))
    assert s.name == "my_index"
    assert s.spec.universe.top_n == 10


@pytest.mark.parametrize(
    "block, field, allowed",
    [
        ({"signals": [{"name": "momentun"}]}, "signals.signals", "allowed: "),
        ({"signals": [{"name": "momentum", "params": {"horizn": 3}}]}, "signals.signals[0].params.horizn", "horizon"),
        ({"signals": [{"name": "momentum"}], "model": {"type": "xgb"}}, "signals.model.type", "'fixed', 'ridge' or 'gbr'"),
        ({"signals": [{"name": "momentum"}], "model": {"type": "ridge", "horizon": 30, "purge": 5}},
         "signals.model.purge", ">= horizon"),
    ],
)
def test_bad_signals_block(tmp_path: Path, block: dict, field: str, allowed: str) -> None:
    p = _write(tmp_path, {**GOOD, "signals": block})
    with pytest.raises(ConfigError) as err:
        Strategy.from_yaml(p)
    msg = str(err.value)
    assert f"{p}: {field}:" in msg
    assert allowed in msg


def test_model_level_errors_point_at_the_field(tmp_path: Path) -> None:
    p = _write(tmp_path, {**GOOD, "overlays": [{"name": "drawdown_guard", "max_drawdown": 0.1, "rerisk_drawdown": 0.2}]})
    with pytest.raises(ConfigError, match=r"overlays\[0\]\.rerisk_drawdown: rerisk_drawdown \(0\.2\) must be < max_drawdown"):
        Strategy.from_yaml(p)
