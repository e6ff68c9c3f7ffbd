"""Live feeds: ADSBx-compatible v2 APIs, aircraft.json, OpenSky REST, SBS and Beast streams.

Each poll hands over (Blob, Source) pairs for ``Store.ingest``; ``FeedSet`` polls the due ones.
"""

from basewatch.sources.feeds.build import build_feeds
from basewatch.sources.feeds.status import Feed, FeedSet, FeedStatus, Work
from basewatch.sources.feeds.streams import Connect, StreamFeed

__all__ = ["Connect", "Feed", "FeedSet", "FeedStatus", "StreamFeed", "Work", "build_feeds"]
