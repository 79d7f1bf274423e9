"""Every notebook in notebooks/ runs top to bottom on the reference data, with outputs stripped in git."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
#: A notebook must run top to bottom in under two minutes.
TIME_LIMIT_S = 120


def test_six_notebooks_ship() -> None:
    names = [p.stem for p in NOTEBOOKS]
    assert len(names) >= 6, names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_outputs_are_stripped(path: Path) -> None:
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"]) if c.get("cell_type") == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert dirty == [], f"{path.name}: cells {dirty} carry outputs; strip them before committing"


def _code(path: Path) -> str:
    """The notebook's code cells as one Python source, IPython magics and shell lines dropped."""
    nb = json.loads(path.read_text())
    cells = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"] if c["cell_type"] == "code"]
    return "\n".join(line for cell in cells for line in cell.splitlines() if not line.lstrip().startswith(("%", "!")))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_uses_public_api_only(path: Path) -> None:
    """No private names (``indexer._x``, ``from indexer.x import _y``, ``obj._attr``) and no class definitions."""
    import ast

    tree = ast.parse(_code(path), filename=path.name)
    bad: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            module = getattr(node, "module", None) or ""
            names = [module] if module else []
            names += [a.name for a in node.names]
            for name in names:
                if name.startswith("indexer") and any(part.startswith("_") for part in name.split(".")):
                    bad.append(f"line {node.lineno}: imports {name}")
            if module.startswith("indexer"):
                bad += [f"line {node.lineno}: imports {a.name} from {module}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            bad.append(f"line {node.lineno}: private attribute .{node.attr}")
        elif isinstance(node, ast.ClassDef):
            bad.append(f"line {node.lineno}: defines class {node.name} (library code belongs in indexer/)")
    assert bad == [], f"{path.name}: " + "; ".join(bad)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path, reference, tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env_before = dict(os.environ)
    os.environ["MPLBACKEND"] = "Agg"
    try:
        client = NotebookClient(
            nb, timeout=TIME_LIMIT_S, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        )
        t0 = time.perf_counter()
        client.execute()
        elapsed = time.perf_counter() - t0
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    assert elapsed < TIME_LIMIT_S, f"{path.name} took {elapsed:.0f} s"
    errors = [
        f"cell {i}: {o.get('ename')}: {o.get('evalue')}"
        for i, c in enumerate(nb.cells) if c.cell_type == "code"
        for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert errors == [], f"{path.name}: " + "; ".join(errors)
    images = sum(
        1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if "image/png" in o.get("data", {})
        or "application/vnd.plotly.v1+json" in o.get("data", {})
    )
    assert images >= 1, f"{path.name} shows no plot"
