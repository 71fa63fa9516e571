"""A real Redis server on loopback, Debian's redis-server, started for the tests that
use a job queue or a shared store and stopped after them: nothing kept on disk."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from ports import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    def __init__(self, folder: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder), "--logfile", str(folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = self._wait()

    def _wait(self):
        import redis

        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return client
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def key_names(self) -> list[str]:
        return sorted(key.decode() for key in self.client.keys("*"))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

