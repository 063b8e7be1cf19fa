"""The client parsing real recorded GitHub responses (octokit/fixtures, MIT, in ../shared).

A replay server answers each recorded GET with its recorded status, headers and body, so the
client meets GitHub's real payloads, Link headers and redirects unchanged.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from issue_assets.emulator.snapshot import RepoSnapshot, write_repo
from issue_assets.github.client import GitHubClient
from issue_assets.github.errors import GitHubHTTPError
from tests.conftest import shared_path


def _load(name: str) -> list[dict]:
    return json.loads(shared_path("github-fixtures", "octokit", f"{name}.json").read_text())


class _Replay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    exchanges: ClassVar[dict[str, dict]] = {}
    base = ""

    def do_GET(self):
        # Our client adds per_page where the recording had none: fall back to the bare path.
        exchange = self.exchanges.get(self.path) or self.exchanges.get(self.path.split("?")[0])
        if exchange is None:
            status, headers, body = 404, {"content-type": "application/json"}, b'{"message":"Not Found"}'
        else:
            status = exchange["status"]
            headers = {k: v for k, v in exchange["headers"].items()
                       if k.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection")}
            body = json.dumps(exchange["response"]).encode() if exchange["response"] != "" else b""
        for name in ("link", "location"):
            if name in headers:
                headers[name] = headers[name].replace("https://api.github.com", self.base)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def replay() -> Iterator:
    servers = []

    def serve(*names: str, rewrite: dict[str, str] | None = None) -> str:
        exchanges = {}
        for name in names:
            for exchange in _load(name):
                if exchange["method"] == "get" or rewrite:
                    path = exchange["path"]
                    exchanges.setdefault(path, exchange)
        for old, new in (rewrite or {}).items():
            exchanges[new] = exchanges[old]
        handler = type("Replay", (_Replay,), {"exchanges": exchanges})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        handler.base = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return handler.base

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_paginated_issues_follow_real_link_headers(replay):
    url = replay("paginate-issues")
    client = GitHubClient(url)
    pages = list(client.paginate("/repos/octokit-fixture-org/paginate-issues/issues", {"per_page": 3}))
    numbers = [issue["number"] for page in pages for issue in page.data]
    assert len(pages) == 5
    assert numbers == list(range(13, 0, -1))
    assert client.stats.requests == 5
    # The recorded ETags are kept for conditional requests.
    assert len(client.cache) == 5


def test_a_real_repository_object(replay):
    url = replay("get-repository")
    result = GitHubClient(url).get_repo("octokit-fixture-org/hello-world")
    assert (result.state, result.full_name) == ("ok", "octokit-fixture-org/hello-world")
    assert result.data["id"] == 1000 and "stargazers_count" in result.data


def test_a_real_rename_is_followed_and_reported(replay):
    url = replay("rename-repository")
    client = GitHubClient(url)
    result = client.get_repo("octokit-fixture-org/rename-repository")
    assert result.state == "renamed"
    assert result.full_name == "octokit-fixture-org/rename-repository-newname"
    assert client.stats.redirects == 1


def test_real_labels(replay):
    url = replay("labels")
    labels = GitHubClient(url).list_labels("octokit-fixture-org/labels")
    assert labels and all({"id", "name", "color"} <= set(label) for label in labels)


def test_a_real_validation_error_is_reported_with_its_details(replay):
    # The recorded 422 answered a POST; the replay serves it to a GET of the same path.
    url = replay("errors", rewrite={"/repos/octokit-fixture-org/errors/labels": "/repos/octokit-fixture-org/errors"})
    with pytest.raises(GitHubHTTPError) as info:
        GitHubClient(url).get("/repos/octokit-fixture-org/errors/labels")
    assert info.value.status == 422
    assert "Validation Failed" in info.value.message and "invalid" in info.value.message


def test_recorded_issues_drop_into_a_snapshot_and_are_served(tmp_path, make_client):
    """Real recorded GitHub issue objects are valid snapshot content, unchanged."""
    from issue_assets.emulator.server import EmulatorState, GitHubEmulator
    from issue_assets.emulator.snapshot import read_snapshot

    issues = [issue for exchange in _load("paginate-issues") for issue in exchange["response"]]
    repo = _load("get-repository")[0]["response"]
    write_repo(tmp_path, RepoSnapshot(repo, issues))
    with GitHubEmulator(EmulatorState(read_snapshot(tmp_path))) as emulator:
        listing = make_client(emulator.url).fetch_issues(repo["full_name"])
    assert sorted(i["number"] for i in listing.issues) == sorted(i["number"] for i in issues)
