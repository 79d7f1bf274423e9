"""The reading gate: every file indexer reads passes here first.

One place decides what a readable input file is, so every reader (strategy,
price CSV/parquet, import, bot config, exchange config, sweep, key files)
refuses the same bad inputs with the same clear message naming the file:

* missing file, a directory where a file is expected, no read permission;
* an empty file, a file over :data:`MAX_BYTES` (a size limit per kind);
* text that is not UTF-8 (UTF-16, binary); UTF-8 with a byte-order mark is
  accepted and said (``gate.notes``);
* YAML with duplicate keys, nesting deeper than :data:`MAX_DEPTH`, more than
  :data:`MAX_ALIASES` aliases or a document that expands beyond
  :data:`MAX_NODES` nodes (no billion-laughs hang, no ``RecursionError``).

>>> text = read_text("strategies/top10_capped.yaml", "strategy file")   # doctest: +SKIP
>>> doc = load_yaml("bot.yaml", "bot config")                            # doctest: +SKIP
"""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path
from typing import Any

import yaml

from indexer.exceptions import ConfigError, IndexerError, IndexerWarning

__all__ = [
    "MAX_BYTES",
    "MAX_DATA_BYTES",
    "MAX_DEPTH",
    "MAX_ALIASES",
    "MAX_NODES",
    "BomWarning",
    "check_file",
    "read_text",
    "load_yaml",
    "read_yaml_mapping",
]

#: Largest text config (strategy, bot, exchange, sweep, key file) read: 1 MiB.
MAX_BYTES = 1 << 20
#: Largest data file (CSV / parquet) read: 2 GiB.
MAX_DATA_BYTES = 2 << 30
#: Deepest YAML nesting accepted (strategy files need < 10).
MAX_DEPTH = 32
#: Most YAML aliases (``*name``) accepted in one document.
MAX_ALIASES = 64
#: Most YAML nodes a document may expand to (aliases counted once per use).
MAX_NODES = 100_000

_UTF8_BOM = b"\xef\xbb\xbf"
_NUL = b"\x00"
_BOMS = {b"\xff\xfe\x00\x00": "UTF-32", b"\x00\x00\xfe\xff": "UTF-32", b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16"}


def _kind(what: str) -> str:
    """``"sweep file (a mapping ...)"`` -> ``"sweep file"``."""
    return what.split(" (")[0]


class BomWarning(IndexerWarning):
    """A UTF-8 file started with a byte-order mark (accepted, and said)."""


def check_file(
    path: str | Path, what: str, *, max_bytes: int = MAX_BYTES, error: type[IndexerError] = ConfigError
) -> Path:
    """``path`` as a :class:`Path` once it is an existing, readable, non-empty regular file.

    Parameters
    ----------
    path
        The file.
    what
        What the file is for, used in messages (``"strategy file"``).
    max_bytes
        Size limit (bytes).
    error
        Exception class raised (``ConfigError`` for configs, ``DataError`` for data).
    """
    p = Path(path).expanduser()
    try:
        st = p.stat()
    except FileNotFoundError:
        raise error(f"{what} {p}: cannot read {_kind(what)}: no such file") from None
    except OSError as exc:
        raise error(f"{what} {p}: cannot read {_kind(what)}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{what} {p}: cannot read {_kind(what)}: is a directory, expected a file") from None
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{what} {p}: not a regular file")
    if not os.access(p, os.R_OK):
        raise error(f"{what} {p}: cannot read {_kind(what)}: permission denied (no read permission for this user)")
    if st.st_size == 0:
        raise error(f"{what} {p}: empty {_kind(what)} (0 bytes)")
    if st.st_size > max_bytes:
        raise error(f"{what} {p}: {st.st_size:,} bytes is over the {max_bytes:,}-byte limit for a {_kind(what)}")
    return p


def decode(data: bytes, p: Path, what: str, error: type[IndexerError] = ConfigError) -> str:
    """UTF-8 text of ``data`` (a leading UTF-8 BOM is dropped with a :class:`BomWarning`)."""
    for bom, name in _BOMS.items():
        if data.startswith(bom):
            raise error(f"{what} {p}: encoded as {name} (byte-order mark); expected UTF-8: re-save the file as UTF-8")
    if data.startswith(_UTF8_BOM):
        warnings.warn(f"{what} {p}: UTF-8 byte-order mark found and skipped", BomWarning, stacklevel=3)
        data = data[len(_UTF8_BOM):]
    if _NUL in data:
        raise error(f"{what} {p}: binary content (NUL byte at offset {data.index(_NUL)}); expected UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(f"{what} {p}: not UTF-8 text (invalid byte 0x{data[exc.start]:02x} on line {line}); expected UTF-8") from None
    if not text.strip():
        raise error(f"{what} {p}: empty {_kind(what)} (only whitespace)")
    return text


def read_text(
    path: str | Path, what: str, *, max_bytes: int = MAX_BYTES, error: type[IndexerError] = ConfigError
) -> str:
    """Read the UTF-8 text of a file that passes :func:`check_file` (errors name ``what`` and the file)."""
    p = check_file(path, what, max_bytes=max_bytes, error=error)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise error(f"{what} {p}: cannot read ({exc.strerror or exc})") from None
    return decode(data, p, what, error)


class _GateLoader(yaml.SafeLoader):
    """Safe loader with bounded depth, bounded aliases and no duplicate keys."""

    def __init__(self, stream: str, where: str) -> None:
        super().__init__(stream)
        self._where = where
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise _Refused(f"more than {MAX_ALIASES} YAML aliases (line {mark.line + 1}); write the values out")
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise _Refused(f"nesting deeper than {MAX_DEPTH} levels (line {mark.line + 1})")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # noqa: D102
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    key = self.construct_object(key_node, deep=True)
                    try:
                        hash(key)
                    except TypeError:
                        continue
                    if key in seen:
                        raise _Refused(
                            f"duplicate key {key!r} on line {key_node.start_mark.line + 1} "
                            f"(first on line {seen[key]}); each key may appear once"
                        )
                    seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


class _Refused(Exception):
    pass


def _expanded_size(node: Any, memo: dict[int, int]) -> int:
    """Nodes ``node`` stands for once every alias is expanded (memoised per node: linear time)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once (the safe constructor builds a cycle, not a copy)
    if isinstance(node, yaml.SequenceNode):
        n = 1 + sum(_expanded_size(c, memo) for c in node.value)
    elif isinstance(node, yaml.MappingNode):
        n = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        n = 1
    memo[key] = n
    if n > MAX_NODES:
        raise _Refused(f"the document expands to more than {MAX_NODES:,} values (aliases); write the values out")
    return n


def parse_yaml(text: str, where: str, error: type[IndexerError] = ConfigError, *, label: str = "invalid YAML") -> Any:
    """Parse YAML ``text`` through the gate's loader; ``error`` names ``where`` and the line."""
    loader = _GateLoader(text, where)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {})
        return loader.construct_document(node)
    except _Refused as exc:
        raise error(f"{where}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{where}: {label}{at}: {problem}") from None
    except RecursionError:
        raise error(f"{where}: nesting too deep to read") from None
    finally:
        loader.dispose()


def load_yaml(path: str | Path, what: str, *, max_bytes: int = MAX_BYTES, label: str = "invalid YAML") -> Any:
    """Load the YAML (or JSON, a YAML subset) document in ``path`` after the gate's checks.

    Raises
    ------
    ConfigError
        Naming ``what``, the file and (for syntax, duplicates, depth) the line.
    """
    p = Path(path).expanduser()
    text = read_text(p, what, max_bytes=max_bytes)
    if p.suffix.lower() == ".json":
        return parse_json(text, f"{what} {p}")
    return parse_yaml(text, f"{what} {p}", label=label)


def parse_json(text: str, where: str, error: type[IndexerError] = ConfigError) -> Any:
    """Parse JSON ``text``: duplicate keys and nesting beyond :data:`MAX_DEPTH` are errors naming ``where``."""
    import json

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise _Refused(f"duplicate key {k!r}; each key may appear once")
            out[k] = v
        return out

    depth = max_depth = 0
    in_str = esc = False
    for ch in text:  # bound the nesting before json recurses
        if in_str:
            esc, in_str = (False, in_str) if esc else (ch == "\\", ch != '"')
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            max_depth = max(max_depth, depth)
        elif ch in "]}":
            depth -= 1
    if max_depth > MAX_DEPTH:
        raise error(f"{where}: nesting deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, object_pairs_hook=pairs)
    except _Refused as exc:
        raise error(f"{where}: {exc}") from None
    except ValueError as exc:
        raise error(f"{where}: invalid JSON: {exc}") from None


def read_yaml_mapping(path: str | Path, what: str, *, allow_empty: bool = False) -> dict:
    """Read the mapping in the YAML file ``path``; ``ConfigError`` naming ``what`` and the file otherwise.

    ``allow_empty`` reads an empty file (or one holding only comments) as ``{}``.
    """
    p = Path(path).expanduser()
    if allow_empty:
        try:
            if p.is_file() and p.stat().st_size < 4096 and not p.read_bytes().strip():
                return {}
        except OSError:
            pass
    raw = load_yaml(p, what)
    if raw is None and allow_empty:
        return {}
    if raw is None:
        raise ConfigError(f"{what} {p}: holds no settings (only comments); expected a mapping")
    if not isinstance(raw, dict):
        raise ConfigError(f"{what} {p}: expected a mapping of settings, got {type(raw).__name__}")
    return raw
