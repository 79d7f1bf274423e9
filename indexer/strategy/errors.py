"""Turn pydantic validation errors into one :class:`ConfigError` naming file, field path and allowed values."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from indexer.exceptions import ConfigError

__all__ = ["config_error", "field_path"]


def field_path(loc: tuple[Any, ...]) -> str:
    """Format a pydantic error location as a dotted path.

    ``('optimiser', 'constraints', 'max_weight')`` -> ``optimiser.constraints.max_weight``;
    list indices as ``overlays[0]``; discriminator tags are dropped.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out.endswith("]") and isinstance(part, str) and part in _TAGS:
            continue  # pydantic inserts the union tag (e.g. 'regime_filter') after the index
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


#: Discriminator tags pydantic inserts into error locations (filled by the spec module).
_TAGS: set[str] = set()


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Return the pydantic model class that owns the last element of ``loc`` (best effort)."""
    cur: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or part in _TAGS:
            if isinstance(part, str) and part in _TAGS:
                cur = _TAG_MODELS.get(part, cur)
            continue
        fields = getattr(cur, "model_fields", None)
        if not fields or part not in fields:
            return None
        ann = fields[part].annotation
        cur = _first_model(ann)
        if cur is None:
            return None
    return cur if isinstance(cur, type) and issubclass(cur, BaseModel) else None


_TAG_MODELS: dict[str, type[BaseModel]] = {}


def _first_model(ann: Any) -> type[BaseModel] | None:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        m = _first_model(arg)
        if m is not None:
            return m
    return None


def _mentioned_path(value: Any, msg: str, depth: int = 3) -> tuple[str, ...]:
    """Longest key path inside ``value`` (a dict) whose last key is named in ``msg`` (for model-level errors)."""
    if not isinstance(value, dict) or depth == 0:
        return ()
    best: tuple[str, ...] = ()
    best_pos = len(msg)
    for k, v in value.items():
        sub = _mentioned_path(v, msg, depth - 1)
        if sub:
            cand = (str(k), *sub)
        elif re.search(rf"\b{re.escape(str(k))}\b", msg):
            cand = (str(k),)
        else:
            continue
        m = re.search(rf"\b{re.escape(cand[-1])}\b", msg)
        pos = m.start() if m else len(msg)
        if len(cand) > len(best) or (len(cand) == len(best) and pos < best_pos):
            best, best_pos = cand, pos
    return best


def config_error(exc: ValidationError, model: type[BaseModel], source: str) -> ConfigError:
    """One readable :class:`ConfigError` listing every problem of ``exc``.

    Each line reads ``<source>: <field.path>: <message> (got <value>)``; for
    unknown fields the allowed field names are listed.
    """
    lines = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        path = field_path(loc)
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            owner = _model_at(model, loc)
            allowed = ", ".join(owner.model_fields) if owner is not None else "see docs/strategies.md"
            msg = f"unknown field; allowed here: {allowed}"
        elif err.get("type") == "missing":
            msg = "field required"
        got = err.get("input")
        if err.get("type") == "value_error" and isinstance(got, dict):
            loc = loc + _mentioned_path(got, msg)
            path = field_path(loc)
        show = "" if err.get("type") in ("missing", "extra_forbidden") or isinstance(got, dict) else f" (got {got!r})"
        lines.append(f"{source}: {path}: {msg}{show}")
    return ConfigError("\n".join(lines) if lines else f"{source}: invalid strategy")


def register_tags(tags: dict[str, type[BaseModel]]) -> None:
    """Tell the formatter which union tags exist (overlay names) and their models."""
    _TAGS.update(tags)
    _TAG_MODELS.update(tags)
