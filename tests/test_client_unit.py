"""Unit tests of the client's pure parts: names, links, token choice, stats, URLs, cache."""

from __future__ import annotations

import pytest

from issue_assets.github.cache import ConditionalCache
from issue_assets.github.client import (
    GitHubClient,
    RequestStats,
    page_number,
    parse_link_header,
    parse_repo_name,
)
from issue_assets.github.errors import InvalidRepoName
from issue_assets.github.times import normalize_timestamp
from issue_assets.github.tokens import TokenPool


@pytest.mark.parametrize("name,expected", [
    ("octocat/Hello-World", ("octocat", "Hello-World")),
    ("open-mmlab/mmdetection", ("open-mmlab", "mmdetection")),
    ("a/b.c_d-e", ("a", "b.c_d-e")),
    ("  lab/repo ", ("lab", "repo")),
])
def test_parse_repo_name_accepts_github_names(name, expected):
    assert parse_repo_name(name) == expected


@pytest.mark.parametrize("name", [
    "", "octocat", "octocat/", "/repo", "a/b/c", "-lab/repo", "lab/..", "lab/re po",
    "https://github.com/a/b", "a" * 40 + "/b", "lab/" + "r" * 101, None, 42,
])
def test_parse_repo_name_rejects_with_the_value_in_the_message(name):
    with pytest.raises(InvalidRepoName) as info:
        parse_repo_name(name)
    assert repr(name) in str(info.value)


def test_parse_link_header_reads_every_relation():
    header = ('<https://api.github.com/repositories/1/issues?page=2>; rel="next", '
              '<https://api.github.com/repositories/1/issues?page=5>; rel="last"')
    links = parse_link_header(header)
    assert links == {"next": "https://api.github.com/repositories/1/issues?page=2",
                     "last": "https://api.github.com/repositories/1/issues?page=5"}
    assert page_number(links["last"]) == 5
    assert parse_link_header(None) == {}


def test_token_pool_prefers_the_token_with_most_budget_and_waits_for_the_earliest_reset():
    pool = TokenPool(["a", "b"])
    pool.states[0].update({"x-ratelimit-remaining": "10", "x-ratelimit-reset": "2000"})
    pool.states[1].update({"x-ratelimit-remaining": "30", "x-ratelimit-reset": "3000"})
    assert pool.best(now=1000).token == "b"
    pool.states[0].remaining = 0
    pool.states[1].remaining = 0
    assert pool.seconds_until_available(now=1000) == pytest.approx(1001)
    # After its reset a token counts as full again.
    assert pool.best(now=2500).token == "a"
    assert pool.seconds_until_available(now=2500) == 0


def test_request_stats_since_gives_the_work_of_an_interval():
    stats = RequestStats(requests=10, not_modified=2, rate_limit_points=8)
    stats.by_status.update({200: 8, 304: 2})
    before = stats.copy()
    stats.requests += 3
    stats.not_modified += 3
    stats.by_status[304] += 3
    delta = stats.since(before)
    assert (delta.requests, delta.not_modified, delta.rate_limit_points) == (3, 3, 0)
    assert delta.as_metadata()["api_status_counts"] == {"304": 3}
    # A dropped connection has no status: counted as "error" beside the statuses (found by the soak run).
    stats.by_status["error"] += 2
    assert stats.as_metadata()["api_status_counts"] == {"200": 8, "304": 5, "error": 2}


def test_token_pool_describes_the_budget_left_for_the_logs():
    pool = TokenPool(["aaaa1111", None])
    assert pool.describe(now=0) == "token …1111: not known yet; anonymous: not known yet"
    pool.states[0].update({"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4321", "x-ratelimit-reset": "100"})
    assert pool.describe(now=40).startswith("token …1111: 4321 of 5000 left, resets in 60 s")


def test_url_for_orders_parameters_so_the_cache_key_is_stable():
    client = GitHubClient("https://ghe.example.com/api/v3/")
    a = client.url_for("/repos/o/r/issues", {"state": "all", "per_page": 100, "since": None})
    b = client.url_for("repos/o/r/issues", {"per_page": 100, "state": "all"})
    assert a == b == "https://ghe.example.com/api/v3/repos/o/r/issues?per_page=100&state=all"


def test_from_env_reads_url_and_a_token_pool():
    client = GitHubClient.from_env({"GITHUB_API_URL": "http://127.0.0.1:9", "GITHUB_TOKEN": "t1, t2,,"})
    assert client.base_url == "http://127.0.0.1:9"
    assert [s.token for s in client.pool.states] == ["t1", "t2"]
    anonymous = GitHubClient.from_env({})
    assert anonymous.base_url == "https://api.github.com"
    assert [s.token for s in anonymous.pool.states] == [None]


def test_a_relative_base_url_is_refused():
    with pytest.raises(ValueError, match="absolute"):
        GitHubClient("api.github.com")


def test_conditional_cache_persists_across_instances(tmp_path):
    path = tmp_path / "etags.sqlite"
    cache = ConditionalCache(path)
    cache.put("u", '"abc"', None, '<x>; rel="next"', b"[1,2]")
    cache.put("no-validator", None, None, None, b"[]")  # useless without a validator: not stored
    cache.close()
    again = ConditionalCache(path)
    hit = again.get("u")
    assert hit is not None and hit.etag == '"abc"' and hit.body == b"[1,2]" and hit.link == '<x>; rel="next"'
    assert again.get("no-validator") is None
    assert len(again) == 1


def test_timestamps_normalize_to_githubs_form():
    assert normalize_timestamp("2022-01-02T03:04:05+02:00") == "2022-01-02T01:04:05Z"
    assert normalize_timestamp("1980-01-01T00:00:00") == "1980-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="ISO 8601"):
        normalize_timestamp("yesterday")


def test_clients_of_one_run_share_what_they_learn_of_the_budget():
    from issue_assets.github.tokens import tokens_from

    assert tokens_from("a, b,,") == ["a", "b"] and tokens_from(None) == [None] and tokens_from(["x"]) == ["x"]
    pool = TokenPool(tokens_from("a,b"))
    first, second = GitHubClient("http://x", "a,b", pool=pool), GitHubClient("http://x", "a,b", pool=pool)
    first.pool.states[0].update({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "100"})
    assert second.pool.states[0].remaining == 0  # the second thread knows the first one spent token a
    with pytest.raises(ValueError, match="exactly the client's tokens"):
        GitHubClient("http://x", "c", pool=pool)
