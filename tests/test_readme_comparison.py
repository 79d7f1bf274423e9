"""The README's comparison table is the one ``python -m backtests.run_all --readme`` generates."""

from __future__ import annotations

from pathlib import Path

import pytest

from backtests.run_all import README_END, README_START, update_readme

REPO = Path(__file__).resolve().parents[1]


def test_update_replaces_only_the_marked_section(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# T\n\nbefore\n{README_START}\nold table\n{README_END}\nafter\n")
    update_readme(readme, "# Standard backtests\n\n| | CAGR |\n|---|---:|\n| a | 1.0% |\n\n## ML strategies\n")
    text = readme.read_text()
    assert "old table" not in text
    assert "| a | 1.0% |" in text and "#### ML strategies" in text
    assert text.startswith("# T\n\nbefore\n") and text.endswith(f"{README_END}\nafter\n")
    assert "# Standard backtests" not in text


def test_update_without_markers_says_what_is_expected(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n")
    with pytest.raises(SystemExit, match="comparison markers not found"):
        update_readme(readme, "| x |")
    assert readme.read_text() == "# no markers\n"


def test_readme_carries_a_generated_table() -> None:
    text = (REPO / "README.md").read_text()
    assert README_START in text and README_END in text
    section = text.split(README_START, 1)[1].split(README_END, 1)[0]
    for name in (p.stem for p in (REPO / "strategies").glob("*.yaml")):
        assert name in section, f"README comparison lacks {name}: regenerate with python -m backtests.run_all --readme README.md"
