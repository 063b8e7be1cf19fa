"""Builders of GitHub REST objects (users, labels, issues, events, repositories) in the exact
shape the API returns, with ``https://api.github.com`` URLs (the emulator rewrites them to its own
address when serving). One place for these shapes: the generator and the emulator both use it."""

from __future__ import annotations

import base64
import hashlib

from issue_assets.github.labels import DEFAULT_LABELS

API = "https://api.github.com"
WEB = "https://github.com"


def stable_id(*parts: object, bits: int = 31) -> int:
    """A deterministic positive integer id derived from its parts."""
    digest = hashlib.sha1("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") % (2**bits - 1) + 1


def node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"0:{kind}{number}".encode()).decode().rstrip("=")


def make_user(login: str, user_type: str = "User") -> dict:
    uid = stable_id("user", login)
    url = f"{API}/users/{login}"
    return {
        "login": login,
        "id": uid,
        "node_id": node_id("User", uid),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{WEB}/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": user_type,
        "site_admin": False,
    }


def make_user_profile(login: str) -> dict:
    """``/users/{login}``: the user object plus profile fields."""
    return {
        **make_user(login),
        "name": login,
        "company": None,
        "blog": "",
        "location": None,
        "email": None,
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "public_repos": 1,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": "2015-01-01T00:00:00Z",
        "updated_at": "2022-01-01T00:00:00Z",
    }


def make_label(full_name: str, name: str, color: str = "ededed", description: str | None = None) -> dict:
    lid = stable_id("label", full_name, name)
    return {
        "id": lid,
        "node_id": node_id("Label", lid),
        "url": f"{API}/repos/{full_name}/labels/{name.replace(' ', '%20')}",
        "name": name,
        "color": color,
        "default": name in DEFAULT_LABELS,
        "description": description,
    }


def default_labels(full_name: str) -> list[dict]:
    return [make_label(full_name, name, color, text) for name, (color, text) in DEFAULT_LABELS.items()]


def make_issue(
    full_name: str,
    *,
    issue_id: int,
    number: int,
    title: str,
    body: str | None,
    user: str,
    created_at: str,
    updated_at: str,
    closed_at: str | None = None,
    labels: list[dict] | None = None,
    assignees: list[str] | None = None,
    comments: int = 0,
    author_association: str = "NONE",
    pull_request: bool = False,
    state_reason: str | None = None,
) -> dict:
    url = f"{API}/repos/{full_name}/issues/{number}"
    assignee_objects = [make_user(a) for a in assignees or []]
    kind = "pull" if pull_request else "issues"
    issue = {
        "url": url,
        "repository_url": f"{API}/repos/{full_name}",
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": f"{WEB}/{full_name}/{kind}/{number}",
        "id": issue_id,
        "node_id": node_id("PullRequest" if pull_request else "Issue", issue_id),
        "number": number,
        "title": title,
        "user": make_user(user),
        "labels": labels or [],
        "state": "closed" if closed_at else "open",
        "locked": False,
        "assignee": assignee_objects[0] if assignee_objects else None,
        "assignees": assignee_objects,
        "milestone": None,
        "comments": comments,
        "created_at": created_at,
        "updated_at": updated_at,
        "closed_at": closed_at,
        "author_association": author_association,
        "active_lock_reason": None,
        "body": body,
        "reactions": {
            "url": f"{url}/reactions", "total_count": 0, "+1": 0, "-1": 0, "laugh": 0,
            "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0,
        },
        "timeline_url": f"{url}/timeline",
        "performed_via_github_app": None,
        "state_reason": (state_reason or "completed") if closed_at and not pull_request else None,
    }
    if pull_request:
        pr_url = f"{API}/repos/{full_name}/pulls/{number}"
        issue["draft"] = False
        issue["pull_request"] = {
            "url": pr_url,
            "html_url": f"{WEB}/{full_name}/pull/{number}",
            "diff_url": f"{WEB}/{full_name}/pull/{number}.diff",
            "patch_url": f"{WEB}/{full_name}/pull/{number}.patch",
            "merged_at": closed_at,
        }
    return issue


def make_event(full_name: str, *, event_id: int, event: str, actor: str, number: int, issue_id: int,
               created_at: str, **extra: object) -> dict:
    """An issue event; ``issue`` holds the reference the emulator expands to the full issue."""
    return {
        "id": event_id,
        "node_id": node_id("IssueEvent", event_id),
        "url": f"{API}/repos/{full_name}/issues/events/{event_id}",
        "actor": make_user(actor),
        "event": event,
        "commit_id": None,
        "commit_url": None,
        "created_at": created_at,
        "performed_via_github_app": None,
        **extra,
        "issue": {"id": issue_id, "number": number, "url": f"{API}/repos/{full_name}/issues/{number}"},
    }


def make_contributor(login: str, contributions: int) -> dict:
    return {**make_user(login), "contributions": contributions}


def make_repo(
    full_name: str,
    *,
    repo_id: int,
    description: str,
    created_at: str,
    updated_at: str,
    pushed_at: str,
    stars: int,
    forks: int,
    watchers: int,
    open_issues: int,
    language: str | None = "Python",
    owner_type: str = "User",
    has_issues: bool = True,
    topics: list[str] | None = None,
) -> dict:
    owner, name = full_name.split("/", 1)
    url = f"{API}/repos/{full_name}"
    return {
        "id": repo_id,
        "node_id": node_id("Repository", repo_id),
        "name": name,
        "full_name": full_name,
        "private": False,
        "owner": make_user(owner, owner_type),
        "html_url": f"{WEB}/{full_name}",
        "description": description,
        "fork": False,
        "url": url,
        "issues_url": f"{url}/issues{{/number}}",
        "issue_events_url": f"{url}/issues/events{{/number}}",
        "labels_url": f"{url}/labels{{/name}}",
        "contributors_url": f"{url}/contributors",
        "pulls_url": f"{url}/pulls{{/number}}",
        "events_url": f"{url}/events",
        "created_at": created_at,
        "updated_at": updated_at,
        "pushed_at": pushed_at,
        "git_url": f"git://github.com/{full_name}.git",
        "clone_url": f"{WEB}/{full_name}.git",
        "homepage": None,
        "size": 1024,
        "stargazers_count": stars,
        "watchers_count": stars,
        "language": language,
        "has_issues": has_issues,
        "has_projects": True,
        "has_downloads": True,
        "has_wiki": True,
        "has_pages": False,
        "has_discussions": False,
        "forks_count": forks,
        "mirror_url": None,
        "archived": False,
        "disabled": False,
        "open_issues_count": open_issues,
        "license": None,
        "allow_forking": True,
        "is_template": False,
        "topics": topics or [],
        "visibility": "public",
        "forks": forks,
        "open_issues": open_issues,
        "watchers": stars,
        "default_branch": "main",
        "network_count": forks,
        "subscribers_count": watchers,
    }
