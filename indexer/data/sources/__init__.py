"""One module per data source: importers of the ``../shared/data`` files and fetchers of public APIs.

Importers (read files, return frames with their quirks handled explicitly):
:mod:`~indexer.data.sources.daily_prices` (Coinbase and Yahoo-style daily closes),
:mod:`~indexer.data.sources.market_caps`, :mod:`~indexer.data.sources.cmc_membership`,
:mod:`~indexer.data.sources.coinmetrics_archive`, :mod:`~indexer.data.sources.etherscan`,
:mod:`~indexer.data.sources.onchain_metrics`, :mod:`~indexer.data.sources.sentiment_inputs`,
:mod:`~indexer.data.sources.social_sentiment`, :mod:`~indexer.data.sources.news_archive`.
Fetchers (download into the local cache): :mod:`~indexer.data.sources.ccxt_ohlcv`,
:mod:`~indexer.data.sources.coingecko`.  :mod:`indexer.data.reference_data` and
:mod:`indexer.data.fetched_data` combine them into a :class:`~indexer.data.MarketData`.
"""
