"""MarketData shows a one-line summary, not every panel."""

from __future__ import annotations


def test_repr_is_one_line_summary(reference) -> None:
    text = repr(reference)
    assert "\n" not in text and len(text) < 400
    assert f"{len(reference.index)} bars" in text and f"{len(reference.symbols)} assets" in text
    early = repr(reference.until("2021-01-01"))
    # the reference view starts at REFERENCE_START (2020-01-01 until issue 13, 2017-01-01 since)
    assert f"{reference.start:%Y-%m-%d}..2021-01-01" in early and "texts=0" in early
