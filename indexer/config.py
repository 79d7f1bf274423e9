"""Process-wide settings read from the environment (never implicitly from the clock)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir

__all__ = ["data_dir", "shared_data_dir", "read_yaml_mapping", "reject_loose_numbers", "DATA_DIR_ENV", "SHARED_DATA_ENV", "DAYS_PER_YEAR"]

DATA_DIR_ENV = "INDEXER_DATA_DIR"
SHARED_DATA_ENV = "INDEXER_SHARED_DATA"
#: Crypto trades every day: annualise with 365 days.
DAYS_PER_YEAR = 365


def data_dir() -> Path:
    """Local parquet cache directory: ``$INDEXER_DATA_DIR`` or the user cache dir."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser() if env else Path(user_cache_dir("indexer")) / "data"


def shared_data_dir() -> Path:
    """Where the public reference data lives: ``$INDEXER_SHARED_DATA`` or ``../shared/data``.

    The default is resolved relative to the repository checkout (the directory
    above the ``indexer`` package), so it works from any working directory.
    """
    env = os.environ.get(SHARED_DATA_ENV)
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parent.parent
    return repo.parent / "shared" / "data"


def read_yaml_mapping(path: str | Path, what: str, *, allow_empty: bool = False) -> dict:
    """Read the mapping in the YAML file ``path`` read through :mod:`indexer.gate` (``ConfigError`` naming the file)."""
    from indexer.gate import read_yaml_mapping as _read

    return _read(path, what, allow_empty=allow_empty)


def reject_loose_numbers(model: type, raw: object, where: str, path: str = "") -> None:
    """Raise ``ConfigError`` where ``raw`` gives a boolean or a string for a number field of the pydantic ``model``.

    Pydantic's lax mode reads YAML ``yes`` as 1 and ``"0.5"`` as 0.5; files validated in lax mode
    (bot and exchange configs, sweep files) call this first so such values are errors naming
    ``where`` and the field path, as strategy files (validated strictly) do.
    """
    import typing

    from pydantic import BaseModel

    from indexer.exceptions import ConfigError

    if not (isinstance(model, type) and issubclass(model, BaseModel)) or not isinstance(raw, dict):
        return

    def kinds(ann: object) -> tuple[set[type], list[type], object | None]:
        """Return (number types, nested models, dict value annotation) found in ``ann``."""
        nums: set[type] = set()
        models: list[type] = []
        dict_val = None
        stack = [ann]
        while stack:
            a = stack.pop()
            origin = typing.get_origin(a)
            if a in (int, float, str, bool):
                nums.add(a)
            elif isinstance(a, type) and issubclass(a, BaseModel):
                models.append(a)
            elif origin is dict:
                dict_val = typing.get_args(a)[1] if len(typing.get_args(a)) == 2 else None
            elif origin is not None:
                stack.extend(typing.get_args(a))
        return nums, models, dict_val

    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in raw:
            continue
        v, here = raw[key], f"{path}{key}"
        nums, models, dict_val = kinds(field.annotation)
        if _loose(nums, models, v):
            raise ConfigError(f"{where}: {here}: expected a number, got {v!r}")
        for m in models:
            reject_loose_numbers(m, v, where, f"{here}.")
        if dict_val is not None and isinstance(v, dict):
            dn, dm, _ = kinds(dict_val)
            for k, x in v.items():
                if _loose(dn, dm, x):
                    raise ConfigError(f"{where}: {here}.{k}: expected a number, got {x!r}")
                for m in dm:
                    reject_loose_numbers(m, x, where, f"{here}.{k}.")


def _loose(types: set[type], models: list[type], v: object) -> bool:
    """Return True when ``v`` is a bool or str given where the annotation allows numbers but neither bool nor str (nor a model)."""
    if models or not types & {int, float}:
        return False
    return (isinstance(v, bool) and bool not in types) or (isinstance(v, str) and str not in types)
