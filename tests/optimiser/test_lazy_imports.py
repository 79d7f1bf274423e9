"""cvxpy is imported only when a cvxpy problem is built (fast start for closed forms and DAQP/Clarabel).

Each check runs in a fresh interpreter so ``sys.modules`` shows exactly what the
path imported; the weights it prints are compared with the same solves in this
process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indexer._typing import CASH
from indexer.optimiser import OptimiserSpec, WeighContext, solve

ASSETS = ["BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "LINK", "LTC"]

#: name -> (spec, engine expected in diagnostics or None for a closed form)
NO_CVXPY = {
    "market_cap": ({"objective": "market_cap", "params": {"max_weight": 0.25}}, None),
    "equal_weight": ({"objective": "equal_weight"}, None),
    "inverse_volatility": ({"objective": "inverse_volatility", "constraints": {"max_weight": 0.3}}, None),
    "fixed": ({"objective": "fixed", "params": {"weights": {"BTC": 0.6, "ETH": 0.3, "CASH": 0.1}}}, None),
    "mean_variance": ({"objective": "mean_variance", "risk_model": "sample",
                       "constraints": {"max_weight": 0.3}}, "daqp"),  # fmt: skip
    "min_variance_turnover": ({"objective": "min_variance", "risk_model": "sample",
                               "constraints": {"max_weight": 0.4, "turnover": 0.5}}, "clarabel_direct"),  # fmt: skip
    # Ledoit-Wolf's intensity is computed without scikit-learn (below 1000 assets)
    "mean_variance_ledoit_wolf": ({"objective": "mean_variance", "risk_model": "ledoit_wolf",
                                   "constraints": {"max_weight": 0.3}}, "daqp_warm"),  # fmt: skip (warm: same assets)
    # 8 assets x 10 % cannot be fully invested: Clarabel's infeasibility certificate is final, the blame
    # checks run on Clarabel too, and the declared fallback decides; no cvxpy problem is built
    "infeasible_with_fallback": ({"objective": "mean_variance", "risk_model": "sample", "fallback": ["previous"],
                                  "constraints": {"max_weight": 0.1}}, None),  # fmt: skip
}
#: Needs a cvxpy problem (not a quadratic programme).
CVXPY = {"max_sharpe": ({"objective": "max_sharpe", "risk_model": "sample", "constraints": {"max_weight": 0.5}}, "cvxpy")}

SCRIPT = r"""
import json, sys
import pandas as pd
import indexer.optimiser as opt
from indexer.optimiser import OptimiserSpec, WeighContext, solve

out = {"after_import": sorted(m for m in ("cvxpy", "scipy.stats", "sklearn") if m in sys.modules)}
# every public name still resolves without cvxpy
out["public"] = all(hasattr(opt, n) for n in opt.__all__)
out["cache_before"] = opt.cache_info()
out["after_import_public"] = "cvxpy" in sys.modules
args = json.loads(sys.argv[2])
ctx = WeighContext(**pd.read_pickle(sys.argv[1]))
for name, (spec, _) in args["no_cvxpy"].items():
    res = solve(OptimiserSpec(**spec), ctx)
    out[name] = {"weights": res.weights.to_dict(), "engine": res.diagnostics.get("engine"),
                 "cvxpy": "cvxpy" in sys.modules, "error": res.diagnostics.get("error")}
out["before_cvxpy_path"] = sorted(m for m in ("cvxpy", "scipy.stats", "sklearn") if m in sys.modules)
for name, (spec, _) in args["cvxpy"].items():
    res = solve(OptimiserSpec(**spec), ctx)
    out[name] = {"weights": res.weights.to_dict(), "engine": res.diagnostics.get("engine"),
                 "cvxpy": "cvxpy" in sys.modules}
out["cache_after"] = opt.cache_info()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def ctx_parts(window, caps_volume) -> dict:
    mc, _ = caps_volume
    r = window[ASSETS]
    previous = pd.Series(1.0 / len(ASSETS), index=ASSETS)
    previous[CASH] = 0.0
    scores = (r.mean() * 365).rename(None)  # annualised mean returns as expected-return scores
    return {"assets": tuple(ASSETS), "returns": r, "market_cap": mc[ASSETS], "scores": scores, "previous": previous}


@pytest.fixture(scope="module")
def fresh_run(ctx_parts, tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("lazy") / "ctx.pkl"
    pd.to_pickle(ctx_parts, path)
    args = json.dumps({"no_cvxpy": NO_CVXPY, "cvxpy": CVXPY})
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(path), args], capture_output=True, text=True,
                          timeout=120, env={**os.environ}, cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_does_not_load_cvxpy(fresh_run) -> None:
    assert fresh_run["after_import"] == []
    assert fresh_run["public"] is True and fresh_run["after_import_public"] is False
    assert fresh_run["cache_before"] == {"problems": 0, "solves": 0}


@pytest.mark.parametrize("name", list(NO_CVXPY))
def test_closed_forms_and_qp_engines_do_not_load_cvxpy(fresh_run, ctx_parts, name) -> None:
    spec, engine = NO_CVXPY[name]
    got = fresh_run[name]
    assert got["cvxpy"] is False, f"{name} imported cvxpy"
    assert got["engine"] == engine
    # same weights as the same solve in this process (where cvxpy may be loaded)
    expected = solve(OptimiserSpec(**spec), WeighContext(**ctx_parts)).weights
    w = pd.Series(got["weights"]).reindex(expected.index)
    np.testing.assert_allclose(w.to_numpy(), expected.to_numpy(), atol=1e-9)
    assert w.sum() == pytest.approx(1.0, abs=1e-9) and (w >= 0).all()


def test_infeasible_problem_is_blamed_without_cvxpy(fresh_run, ctx_parts) -> None:
    got = fresh_run["infeasible_with_fallback"]
    assert got["cvxpy"] is False
    assert got["error"] == ("mean_variance: infeasible: bounds (min_weight=0.0, max_weight=0.1) cannot be met with "
                            "cash (cash_min=0.0, cash_max=0.0) (problem is infeasible)")
    expected = solve(OptimiserSpec(**NO_CVXPY["infeasible_with_fallback"][0]), WeighContext(**ctx_parts))
    assert expected.diagnostics["fallback"] == "previous" and expected.diagnostics["error"] == got["error"]


def test_no_heavy_scientific_imports_before_cvxpy_path(fresh_run) -> None:
    # risk_model "sample" needs neither scikit-learn nor scipy.stats (pulled in by cvxpy.atoms)
    assert fresh_run["before_cvxpy_path"] == []


def test_cvxpy_objective_still_works(fresh_run, ctx_parts) -> None:
    got = fresh_run["max_sharpe"]
    assert got["engine"] == "cvxpy" and got["cvxpy"] is True
    w = pd.Series(got["weights"])
    assert w.sum() == pytest.approx(1.0, abs=1e-8) and (w >= -1e-12).all() and w.drop(CASH).max() <= 0.5 + 1e-8
    assert fresh_run["cache_after"]["problems"] >= 1 and fresh_run["cache_after"]["solves"] >= 1
    expected = solve(OptimiserSpec(**CVXPY["max_sharpe"][0]), WeighContext(**ctx_parts)).weights
    np.testing.assert_allclose(w.reindex(expected.index).to_numpy(), expected.to_numpy(), atol=1e-6)
