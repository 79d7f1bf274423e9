"""The reading gate (indexer.gate): every bad file refused with a message naming the file, fast."""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import pytest

from indexer.exceptions import ConfigError, DataError
from indexer.gate import BomWarning, check_file, load_yaml, read_text, read_yaml_mapping


def _bomb(levels: int = 9) -> str:
    lines = ["name: lol", "extra:", "  a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


CASES = {
    "utf16": (b"\xff\xfen\x00a\x00m\x00e\x00:\x00 \x00x\x00", "encoded as UTF-16"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary content"),
    "latin1": ("name: caf\u00e9\n".encode("latin-1"), "not UTF-8 text (invalid byte 0xe9 on line 1)"),
    "empty": (b"", "empty thing (0 bytes)"),
    "blank": (b"  \n\n", "empty thing (only whitespace)"),
    "dupkey": (b"a: 1\nb: 2\na: 3\n", "duplicate key 'a' on line 3 (first on line 1)"),
    "dupnested": (b"u:\n  top_n: 1\n  top_n: 2\n", "duplicate key 'top_n' on line 3"),
    "deep": (("a: " + "[" * 20000 + "]" * 20000 + "\n").encode(), "nesting deeper than 32 levels"),
    "deepmap": (("".join(f"{'  ' * i}k{i}:\n" for i in range(60)) + "  " * 60 + "v\n").encode(), "nesting deeper than 32"),
    "bomb": (_bomb().encode(), "more than 64 YAML aliases"),
    "syntax": (b"a: [1, 2\nb: 3\n", "invalid YAML at line"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_yaml_files_refused_naming_file(tmp_path: Path, case: str) -> None:
    data, expected = CASES[case]
    p = tmp_path / f"{case}.yaml"
    p.write_bytes(data)
    t0 = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load_yaml(p, "thing")
    assert time.perf_counter() - t0 < 5.0
    msg = str(info.value)
    assert str(p) in msg and expected in msg
    assert "\n" not in msg


def test_small_alias_bomb_under_the_alias_limit_is_bounded_by_node_count(tmp_path: Path) -> None:
    # 8 aliases per level x 6 levels = 48 aliases (< 64) but 8**6 = 262144 nodes once expanded.
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x]"]
    for i in range(1, 7):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 8) + "]")
    p = tmp_path / "b.yaml"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match=r"b\.yaml: the document expands to more than 100,000 values"):
        load_yaml(p, "thing")


def test_paths_that_are_not_readable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=rf"thing {tmp_path}: cannot read thing: is a directory"):
        check_file(tmp_path, "thing")
    with pytest.raises(DataError, match=r"nope\.csv: cannot read thing: no such file"):
        check_file(tmp_path / "nope.csv", "thing", error=DataError)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" * 300_000)
    with pytest.raises(ConfigError, match=r"big\.yaml: 1,500,000 bytes is over the 1,048,576-byte limit"):
        read_text(big, "thing")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    p = tmp_path / "secret.yaml"
    p.write_text("a: 1\n")
    p.chmod(0o000)
    with pytest.raises(ConfigError, match="permission denied"):
        read_text(p, "thing")


def test_utf8_bom_is_accepted_and_said(tmp_path: Path) -> None:
    p = tmp_path / "bom.yaml"
    p.write_bytes(b"\xef\xbb\xbfa: 1\n")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert read_yaml_mapping(p, "thing") == {"a": 1}
    assert any(issubclass(w.category, BomWarning) and "bom.yaml" in str(w.message) for w in seen)


def test_legitimate_aliases_and_merge_keys_still_work(tmp_path: Path) -> None:
    p = tmp_path / "ok.yaml"
    p.write_text("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nlist: [*b, *b]\n")
    doc = load_yaml(p, "thing")
    assert doc["other"] == {"x": 1, "y": 3} and doc["list"] == [{"x": 1, "y": 2}] * 2


def test_read_yaml_mapping_rejects_non_mappings(tmp_path: Path) -> None:
    p = tmp_path / "l.yaml"
    p.write_text("- 1\n")
    with pytest.raises(ConfigError, match=r"l\.yaml: expected a mapping of settings, got list"):
        read_yaml_mapping(p, "thing")
    c = tmp_path / "c.yaml"
    c.write_text("# only a comment\n")
    assert read_yaml_mapping(c, "thing", allow_empty=True) == {}


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ("[" * 40 + "]" * 40, "nesting deeper than 32 levels"),
        ("{bad", "invalid JSON"),
    ],
)
def test_json_files_go_through_the_same_checks(tmp_path: Path, text: str, expected: str) -> None:
    p = tmp_path / "keys.json"
    p.write_text(text)
    with pytest.raises(ConfigError, match=expected) as info:
        load_yaml(p, "key file")
    assert str(p) in str(info.value)


def test_json_with_tabs_and_escaped_quotes_reads(tmp_path: Path) -> None:
    p = tmp_path / "keys.json"
    p.write_text('{\n\t"apiKey": "k\\"x[",\n\t"secret": "s"\n}')
    assert load_yaml(p, "key file") == {"apiKey": 'k"x[', "secret": "s"}
