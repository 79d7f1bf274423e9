"""Standard backtests of every shipped strategy; ``python -m backtests.run_all`` regenerates them."""
