"""indexer.research: evidence behind the AI signals (per-era IC, sentiment evaluation, CPCV, PBO, deflated Sharpe).

Research code sits above the strategy and backtest layers (it runs them) and
below the CLI; the commands are ``indexer signals report --era``,
``indexer signals sentiment-eval`` and ``indexer signals cpcv``.
"""
