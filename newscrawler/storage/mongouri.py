"""MONGO_URI as pymongo reads it: a form safe to show, its checks, and the write concern it names.

The one home of the URI's secrets: every log line, error, stat and dead letter that names the
MongoDB store shows ``redact(uri)``, and a parser's message about the URI passes ``scrub``.
"""

from __future__ import annotations

from urllib.parse import quote, quote_plus, unquote_plus

from pymongo import MongoClient
from pymongo.errors import PyMongoError
from pymongo.uri_parser import parse_uri, split_options
from pymongo.write_concern import WriteConcern

from newscrawler.errors import ConfigError

SCHEMES = ("mongodb", "mongodb+srv")
# Options shown as written: none of them can hold a secret. Any other option is shown as ***
# (a key file's password, AWS session tokens in authMechanismProperties, an option pymongo
# does not know, which may be credential text that lost its way).
SHOWN_OPTIONS = frozenset({
    "authsource", "authmechanism", "replicaset", "directconnection", "loadbalanced", "tls", "ssl", "w",
    "journal", "wtimeoutms", "readpreference", "retrywrites", "retryreads", "connecttimeoutms",
    "serverselectiontimeoutms", "sockettimeoutms", "maxpoolsize", "minpoolsize", "compressors",
})
# Options whose values are secrets, scrubbed from messages too.
SECRET_OPTIONS = frozenset({"tlscertificatekeyfilepassword", "authmechanismproperties"})
# Characters that split a URI into parts (RFC 3986's delimiters): each part of the credentials
# is scrubbed on its own too, however a parser cut them up.
DELIMITERS = ":/?#[]@&=;,"
# Shorter fragments are not scrubbed from messages (they would mangle every word); no message
# of pymongo quotes the URI, so this only backs that up.
MIN_SCRUBBED = 3


def split(uri: str) -> tuple[str, str | None, str]:
    """Scheme, user info (None when absent) and the rest (hosts, database, options).

    The user info is everything before the LAST ``@``. pymongo cuts the options off at the first
    ``?``, the database at the first ``/``, and takes the user info up to the last ``@`` of what
    is left; an unescaped ``?``, ``/``, ``#``, ``:`` or ``@`` in a password moves those cuts,
    but every reading keeps the whole password before the URI's last ``@``.

    >>> split("mongodb://crawler:Pa55?w@rd@db1:27017,db2/news?authSource=admin")
    ('mongodb', 'crawler:Pa55?w@rd', 'db1:27017,db2/news?authSource=admin')
    """
    scheme, sep, rest = uri.partition("://")
    if not sep:
        return "", uri, ""  # not a URI at all: any of it may be a secret
    userinfo, at, rest = rest.rpartition("@")
    return scheme, userinfo if at else None, rest


def is_scheme(text: str) -> bool:
    """An RFC 3986 scheme name (letters, then letters, digits, + - .): never credential text.

    >>> is_scheme("mongodb+srv"), is_scheme("crawler:Pa55@mongodb")
    (True, False)
    """
    return text[:1].isascii() and text[:1].isalpha() and all(
        c.isascii() and (c.isalnum() or c in "+-.") for c in text)


def redact(uri: str) -> str:
    """The URI for logs and errors: no user info, and only options that hold no secret.

    >>> redact("mongodb://user:s3cret@db1:27017,db2/?authSource=admin")
    'mongodb://***@db1:27017,db2/?authSource=admin'
    >>> redact("mongodb://crawler:Sup3r#Secret@db1/?tls=true&tlsCertificateKeyFilePassword=k3y")
    'mongodb://***@db1/?tls=true&***'
    >>> redact("mongodb://crawler:Pa55?word@db1/")
    'mongodb://***@db1/'
    >>> redact("crawler:secret@db1")
    '***'
    """
    scheme, userinfo, rest = split(uri)
    if not scheme:
        return "***"
    shown = f"{scheme if is_scheme(scheme) else '***'}://{'***@' if userinfo is not None else ''}"
    location, question, options = rest.partition("?")
    if not question:
        return shown + location
    pairs = options.replace(";", "&").split("&")
    return f"{shown}{location}?" + "&".join(
        pair if pair.partition("=")[0].lower() in SHOWN_OPTIONS else "***" for pair in pairs)


def secrets(uri: str) -> list[str]:
    """Texts of ``uri`` that must never be shown, longest first: its user info and each part of it
    (as written and decoded), and the values of secret options."""
    _, userinfo, rest = split(uri)
    found = []
    if userinfo:
        found.append(userinfo)
        parts = [userinfo, *userinfo.split(":", 1)]
        for delimiter in DELIMITERS:
            parts.extend(piece for part in list(parts) for piece in part.split(delimiter))
        found.extend(parts)
    for pair in rest.partition("?")[2].replace(";", "&").split("&"):
        key, _, value = pair.partition("=")
        if key.lower() in SECRET_OPTIONS:
            found.extend([value, *value.split(":")])
    found += [spelling for text in found
              for spelling in (unquote_plus(text), quote_plus(text), quote(text, safe=""))]
    return sorted({text for text in found if len(text) >= MIN_SCRUBBED}, key=len, reverse=True)


def scrub(text: str, uri: str) -> str:
    """``text`` (a parser's or driver's message) without any secret of ``uri``.

    >>> scrub("bad port 'Pa55' in crawler:Pa55", "mongodb://crawler:Pa55?word@db1/")
    "bad port '***' in ***"
    """
    for secret in secrets(uri):
        text = text.replace(secret, "***")
    return text


def check(uri: str) -> dict[str, object]:
    """The URI's options as pymongo reads them (lower-case names), without connecting; a
    ConfigError, naming the URI only as ``redact`` shows it, when pymongo refuses it.

    A mongodb+srv:// URI is checked as the client checks it before its DNS lookup (done on first use).
    """
    try:
        if split(uri)[0] == "mongodb+srv":
            MongoClient(uri, connect=False).close()
            options = split_options(uri.partition("?")[2]) if "?" in uri else {}
        else:
            options = parse_uri(uri)["options"]
    except (PyMongoError, ValueError, TypeError) as exc:
        scheme, userinfo, _ = split(uri)
        hint = ("; percent-encode : / ? # @ % in the user name and password"
                if scheme in SCHEMES and userinfo else "")
        raise ConfigError(f"MONGO_URI does not parse: {scrub(str(exc), uri)} ({redact(uri)}){hint}") from None
    return {key.lower(): value for key, value in options.items()}


def write_concern(uri: str, journal: bool) -> tuple[WriteConcern, str]:
    """What an acknowledged write means, and that in words for the log line at start.

    The URI's ``w`` and ``journal`` when it names either, else journaled writes if ``journal``
    (the MONGO_JOURNAL setting). ``w=0`` is refused: with no acknowledgement nothing could be
    counted as stored.

    >>> write_concern("mongodb://db1/", True)[1]
    'w=1 (the default), journal=true: a write counts once it is in the journal on disk (MONGO_JOURNAL)'
    >>> write_concern("mongodb://db1/?replicaSet=rs&w=majority", True)[1]
    'w=majority, journal as the server defaults (named in MONGO_URI)'
    """
    options = check(uri)
    named = "w" in options or "journal" in options
    if options.get("w") == 0:
        raise ConfigError(f"MONGO_URI {redact(uri)} asks for w=0 (unacknowledged writes): nothing could be "
                          "counted as stored; use w=1, or w=majority on a replica set")
    try:
        concern = WriteConcern(w=options.get("w"), wtimeout=options.get("wtimeoutms"),
                               j=options.get("journal") if named else journal)
    except (PyMongoError, ValueError, TypeError) as exc:
        raise ConfigError(f"MONGO_URI {redact(uri)}: {scrub(str(exc), uri)}") from None
    document = concern.document
    w = f"w={document['w']}" if "w" in document else "w=1 (the default)"
    if "j" not in document:
        durable = "journal as the server defaults"
    elif document["j"]:
        durable = "journal=true: a write counts once it is in the journal on disk"
    else:
        durable = "journal=false: a write may count before it is on disk"
    return concern, f"{w}, {durable} ({'named in MONGO_URI' if named else 'MONGO_JOURNAL'})"
