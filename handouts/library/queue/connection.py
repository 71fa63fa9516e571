"""Reaching the queue: a Redis URL, checked and connected, named without its password."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from ...problems import UsageError

SCHEMES = ("redis", "rediss", "unix")
QUEUE_NAME = "handouts"  # one queue a Redis database: give each library its own database
CONNECT_SECONDS = 5.0


def shown(url: str) -> str:
    """The URL as it may be printed: any password left out."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" if parts.username else f":***@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str):
    """A Redis client for `url`, once it has answered; UsageError in one line if the URL
    is not one, or nothing answers there."""
    import redis

    if urlsplit(url).scheme not in SCHEMES:
        raise UsageError(f"'{shown(url)}' is not a queue's address: give one as "
                         "redis://HOST:PORT/N (a Redis server and database)")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_SECONDS,
                                      health_check_interval=30)
        client.ping()
    except (ValueError, redis.RedisError, OSError) as exc:
        raise UsageError(f"cannot reach the queue at {shown(url)}: {_reason(exc)}") from None
    return client


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def no_workers(client) -> bool:
    """Whether no render worker is taking jobs from the queue now."""
    from rq import Queue, Worker

    return Worker.count(queue=Queue(QUEUE_NAME, connection=client)) == 0
