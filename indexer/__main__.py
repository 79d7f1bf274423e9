"""``python -m indexer``: the command-line interface."""

from indexer.cli.main import main

main()
