"""A real local S3-compatible server for tests and benchmarks (moto's server mode).

:class:`LocalS3Server` starts ``python -m moto.server`` on ``127.0.0.1`` in its own
process (so its request handling does not share the tests' interpreter), waits
until it answers, and stops it again. Clients reach it through ``S3_ENDPOINT_URL``
like any S3-compatible store; nothing of boto or fsspec is mocked. With
``auth=True`` moto checks every request's signature against IAM (test users are
created through its IAM API), which the bad-credentials tests need.

Needs the ``moto[server]`` package (the ``test`` extra).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from types import TracebackType
from typing import IO

TEST_KEY_ID = "wkfn-test-key"
TEST_SECRET = "wkfn-test-secret"
TEST_REGION = "us-east-1"
AUTH_SETUP_ACTIONS = 5
"""Requests :meth:`LocalS3Server.create_users` makes before auth is enforced."""


_REQUEST_RE = re.compile(
    rb'"(?:\x1b\[[0-9;]*m)*(GET|PUT|HEAD|POST|DELETE) [^"]* HTTP/1\.[01]'
)
"""A request line of the server's log; lines of non-200 answers (206 ranges, 304,
404) are wrapped in terminal colour codes, which the optional prefix skips."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LocalS3Server:
    """A moto server process on 127.0.0.1 (a context manager)."""

    def __init__(
        self,
        *,
        auth: bool = False,
        port: int | None = None,
        log_path: str | None = None,
    ) -> None:
        self.port = port or _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.auth = auth
        self.log_path = log_path
        """Where the server's request log goes (for :meth:`request_count`)."""
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout: float = 30.0) -> LocalS3Server:
        """Start the server and wait until it answers HTTP."""
        env = dict(os.environ)
        if self.auth:
            # every request is authenticated, after the setup requests of
            # :meth:`create_users` (which make the users that can authenticate)
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(AUTH_SETUP_ACTIONS)
        if self.log_path is not None:
            self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
            env["PYTHONUNBUFFERED"] = "1"  # every request line reaches the log now
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log if self._log is not None else subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {self._proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1):
                    return self
            except urllib.error.HTTPError:
                return self  # it answers
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto server on {self.endpoint} did not start in time")

    def reset(self) -> None:
        """Forget every bucket and object (moto's reset endpoint)."""
        req = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=10):
            pass

    def stop(self) -> None:
        """Stop the server process."""
        if self._proc is not None:
            self._proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=10)
            if self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def request_count(self) -> dict[str, int]:
        """Requests the server has logged so far, by HTTP method (needs
        ``log_path``); ``/moto-api`` housekeeping is not counted."""
        if self.log_path is None:
            raise RuntimeError("start the server with log_path to count requests")
        counts: dict[str, int] = {}
        with open(self.log_path, "rb") as f:
            for line in f:
                match = _REQUEST_RE.search(line)
                if match and b"/moto-api" not in line:
                    method = match.group(1).decode()
                    counts[method] = counts.get(method, 0) + 1
        return counts

    def __enter__(self) -> LocalS3Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """Environment variables that point clients at this server."""
        return {
            "S3_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": TEST_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": TEST_SECRET,
            "AWS_REGION": TEST_REGION,
        }

    def create_bucket(
        self, name: str, key: str = TEST_KEY_ID, secret: str = TEST_SECRET
    ) -> None:
        """Create a bucket (with the credentials in :meth:`env` by default)."""
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            region_name=TEST_REGION,
        )
        client.create_bucket(Bucket=name)

    def create_users(self) -> dict[str, tuple[str, str]]:
        """On an ``auth=True`` server: an ``admin`` user allowed everything and a
        ``denied`` user allowed nothing; returns ``{name: (key id, secret)}``.

        Must be the first requests to the server (they run before auth is on).
        """
        import json

        import boto3

        iam = boto3.client(
            "iam",
            endpoint_url=self.endpoint,
            region_name=TEST_REGION,
            aws_access_key_id="setup",
            aws_secret_access_key="setup",
        )
        allow_all = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
        iam.create_user(UserName="admin")
        iam.put_user_policy(
            UserName="admin", PolicyName="all", PolicyDocument=json.dumps(allow_all)
        )
        iam.create_user(UserName="denied")
        out: dict[str, tuple[str, str]] = {}
        for user in ("admin", "denied"):
            key = iam.create_access_key(UserName=user)["AccessKey"]
            out[user] = (key["AccessKeyId"], key["SecretAccessKey"])
        return out


__all__ = ["TEST_KEY_ID", "TEST_REGION", "TEST_SECRET", "LocalS3Server"]
