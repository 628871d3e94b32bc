"""What a request's path names: the index, the health check, or a feed of a source or channel.

Every segment must be a source's name or a channel id as the profiles spell them: anything else
(``..``, a slash encoded as ``%2f``, a NUL) names nothing and is a 404. No path reaches a file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from newscrawler.exporters.feedmeta import FeedMeta, feed_meta
from newscrawler.items import SOURCE_NAME, channel_id_from_text
from newscrawler.serve.formats import split_extension
from newscrawler.sources.profile import SourceProfile
from newscrawler.storage.documents import INT64

INDEX, HEALTH, FEED = "index", "health", "feed"


@dataclass(frozen=True)
class Route:
    kind: str
    source: str | None = None
    channel: int | str | None = None
    extension: str | None = None  # the format the path's extension names
    meta: FeedMeta | None = None
    # Whether the profiles know the source (and channel): a feed of neither is a 404 when empty.
    known: bool = False


def _channel(text: str, profile: SourceProfile | None) -> int | str | None:
    """The channel ``text`` names, spelled canonically: ``01`` or ``+1`` is not ``1`` (one URL per feed,
    one cache entry), a number past 64 bits is no channel: None, a 404."""
    channels = profile.listing.channels if profile is not None else {}
    channel = channel_id_from_text(text, channels) if text == text.strip() else None
    if isinstance(channel, int) and (str(channel) != text or channel not in INT64):
        return None
    return channel


def route(segments: Sequence[bytes], profiles: Mapping[str, SourceProfile]) -> Route | None:
    """The route ``segments`` (the path split at ``/``, each unquoted) name, None when nothing.

    >>> route([b""], {}).kind, route([b"healthz"], {}).kind, route([b"news.atom"], {})
    ('index', 'health', Route(kind='feed', source='news', channel=None, extension='atom', meta=FeedMeta(title='news', home_url=None, description='news: articles collected by newscrawler'), known=False))
    >>> route([b"..", b"etc"], {}), route([b"news", b"../x"], {}), route([b"a", b""], {})
    (None, None, None)
    """
    try:
        words = [segment.decode("utf-8") for segment in segments]
    except UnicodeDecodeError:
        return None
    if words == [""]:
        return Route(INDEX)
    if words == ["healthz"]:
        return Route(HEALTH)
    if not words or len(words) > 8:
        return None
    words[-1], extension = split_extension(words[-1])
    rsshub = _rsshub(words, profiles, extension)
    if rsshub is not None:
        return rsshub
    if len(words) > 2 or not SOURCE_NAME.fullmatch(words[0]):
        return None
    source = words[0]
    profile = profiles.get(source)
    if len(words) == 1:
        return Route(FEED, source, None, extension, feed_meta(profiles, source), profile is not None)
    channel = _channel(words[1], profile)
    if channel is None:
        return None
    known = profile is not None and channel in profile.listing.channels
    return Route(FEED, source, channel, extension, feed_meta(profiles, source, channel), known)


def _rsshub(words: list[str], profiles: Mapping[str, SourceProfile], extension: str | None) -> Route | None:
    """A profile's RSSHub route (``/<words>/:<channel>``), with the feed fields RSSHub gave."""
    for profile in profiles.values():
        declared = profile.rsshub
        if declared is None or tuple(words[:-1]) != declared.prefix:
            continue
        channel = _channel(words[-1], profile)
        if channel is None:
            return None
        # Its own feed key: an Atom id of its own, apart from the channel's feed at /<source>/<channel>.
        meta = FeedMeta(declared.title, declared.link, declared.description,
                        f"rsshub:{profile.name}/{channel}")
        return Route(FEED, profile.name, channel, extension, meta, channel in profile.listing.channels)
    return None


def feed_path(source: str, channel: int | str | None = None, extension: str | None = None) -> str:
    """The path of a feed, as the index links it.

    >>> feed_path("news"), feed_path("news", 255, "atom")
    ('/news', '/news/255.atom')
    """
    path = f"/{source}" if channel is None else f"/{source}/{channel}"
    return f"{path}.{extension}" if extension else path


def rsshub_path(profile: SourceProfile, channel: int | str, extension: str | None = None) -> str | None:
    if profile.rsshub is None:
        return None
    path = "/" + "/".join((*profile.rsshub.prefix, str(channel)))
    return f"{path}.{extension}" if extension else path
