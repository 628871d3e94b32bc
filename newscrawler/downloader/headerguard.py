"""Bound the head of every HTTP response before Twisted's parser stores it.

Twisted's HTTP/1.1 client keeps every header line of a response head, and every
continuation line, until the blank line that ends the head: a server that never
sends it fills the crawler's memory within one DOWNLOAD_TIMEOUT (DOWNLOAD_MAXSIZE
counts body bytes only). ``HeadGuard`` sits between a connection's transport and
its HTTP protocol, counts the bytes and lines of each response head as they arrive,
and aborts the connection the moment a head goes over a limit, so that the request
fails with ``ResponseHeadersTooLarge``. It sees plain text: for HTTPS it sits above
the TLS layer. Only public Twisted APIs are used (endpoints, ``policies`` wrappers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scrapy.exceptions import DownloadCancelledError
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress, IProtocol, IProtocolFactory, IStreamClientEndpoint
from twisted.protocols.basic import LineReceiver
from twisted.protocols.policies import ProtocolWrapper, WrappingFactory
from twisted.python.failure import Failure
from zope.interface import implementer

# The longest line Twisted's HTTP parser (a LineReceiver) reads; it drops the connection,
# without a word, on a longer one: the guard names the cause instead.
TWISTED_MAX_LINE = LineReceiver.MAX_LENGTH


class ResponseHeadersTooLarge(DownloadCancelledError):
    """The response head went over DOWNLOAD_MAXHEADERSIZE or DOWNLOAD_MAXHEADERS; the download was cut."""


@dataclass(frozen=True)
class HeadLimits:
    max_bytes: int  # status line, header lines and blank line, 1xx heads included
    max_lines: int  # header lines, continuation lines included


class HeadGuard(ProtocolWrapper):
    """Counts each response head on one connection; aborts the connection when one is too large.

    A head starts with the first byte after a request is written (Twisted's client sends
    one request at a time and waits for its whole response) and ends at its blank line;
    an informational (1xx) head is followed by another head, counted with it.
    """

    factory: GuardFactory

    def __init__(self, factory: GuardFactory, wrapped: IProtocol) -> None:
        super().__init__(factory, wrapped)
        self.in_head = True
        self.head_bytes = 0
        self.head_lines = 0
        self.line_bytes = 0  # bytes of the line being received, so far
        self.line_start = b""  # its first bytes: enough to tell a blank line or a status code
        self.status_line = True  # the next line is a status line
        self.informational = False  # the head being read is a 1xx one
        self.refused: ResponseHeadersTooLarge | None = None

    # A request going out: its response head comes next.
    def write(self, data: bytes) -> None:
        self.expect_head()
        super().write(data)

    def writeSequence(self, data: Any) -> None:
        self.expect_head()
        super().writeSequence(data)

    def expect_head(self) -> None:
        if not self.in_head:
            self.in_head, self.head_bytes, self.head_lines = True, 0, 0
            self.line_bytes, self.line_start, self.status_line, self.informational = 0, b"", True, False

    def dataReceived(self, data: bytes) -> None:
        if self.refused is not None:
            return  # what was read after the abort: the protocol must not see it
        if self.in_head:
            problem, allowed = self.scan_head(data)
            if problem:
                # The protocol gets the head up to the limit first: a response that fails after
                # some bytes is not retried by Twisted's pool, one "never received" would be.
                if allowed:
                    super().dataReceived(data[:allowed])
                self.refused = ResponseHeadersTooLarge(problem)
                self.transport.abortConnection()
                return
        super().dataReceived(data)

    def scan_head(self, data: bytes) -> tuple[str | None, int]:
        """Count ``data`` into the current head: the limit it breaks, if any, and how many of its
        bytes are within the limits."""
        limits = self.factory.limits
        end = len(data)
        position = 0
        while self.in_head and position < end:
            newline = data.find(b"\n", position)
            stop = end if newline < 0 else newline
            taken = stop - position + (newline >= 0)  # this line's bytes in data, its newline included
            line_before = self.line_bytes
            self.line_bytes += stop - position
            if len(self.line_start) < 16:
                self.line_start += data[position : min(stop, position + 16 - len(self.line_start))]
            if self.line_bytes > TWISTED_MAX_LINE:
                return (f"a response header line over {TWISTED_MAX_LINE} bytes, the longest Twisted reads",
                        position + TWISTED_MAX_LINE - line_before)
            if self.head_bytes + taken > limits.max_bytes:
                return (f"response head over DOWNLOAD_MAXHEADERSIZE ({limits.max_bytes} bytes)",
                        position + limits.max_bytes - self.head_bytes)
            self.head_bytes += taken
            if newline < 0:
                break
            self.end_of_line()
            if self.head_lines > limits.max_lines:
                return f"response head over DOWNLOAD_MAXHEADERS ({limits.max_lines} header lines)", position
            position = newline + 1
        return None, end

    def end_of_line(self) -> None:
        line = self.line_start
        blank = self.line_bytes == 0 or (self.line_bytes == 1 and line == b"\r")
        if self.status_line:
            self.status_line = False
            self.informational = line[9:10] == b"1"  # "HTTP/1.1 1xx": Twisted reads another head
        elif blank:
            if self.informational:
                self.status_line = True
            else:
                self.in_head = False
        else:
            self.head_lines += 1
        self.line_bytes, self.line_start = 0, b""

    def connectionLost(self, reason: Failure) -> None:
        # The protocol learns why its response failed: the limit, not "connection aborted".
        super().connectionLost(Failure(self.refused) if self.refused is not None else reason)


class GuardFactory(WrappingFactory):
    protocol = HeadGuard

    def __init__(self, wrapped: IProtocolFactory, limits: HeadLimits) -> None:
        super().__init__(wrapped)
        self.limits = limits

    def buildProtocol(self, addr: IAddress) -> HeadGuard:
        return HeadGuard(self, self.wrappedFactory.buildProtocol(addr))


@implementer(IStreamClientEndpoint)
class GuardedEndpoint:
    """An endpoint whose connections are guarded; its ``connect`` gives the factory's own protocol."""

    def __init__(self, endpoint: IStreamClientEndpoint, limits: HeadLimits) -> None:
        self.endpoint = endpoint
        self.limits = limits

    def connect(self, factory: IProtocolFactory) -> Deferred[IProtocol]:
        connected = self.endpoint.connect(GuardFactory(factory, self.limits))
        return connected.addCallback(lambda guard: guard.wrappedProtocol)

    def __repr__(self) -> str:
        return repr(self.endpoint)  # the connection pool names its connections after it
