from indexer.cli.main import main

main()
