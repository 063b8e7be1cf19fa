"""The emulator's GraphQL API (``POST /graphql``, ``/api/graphql``), validated against GitHub's real schema.

The schema is GitHub's public one as the npm package ``@octokit/graphql-schema`` ships it (vendored beside
this module with its licence, ``GITHUB_SCHEMA_LICENSE``), never a hand-written subset: a query the emulator
accepts is a query GitHub accepts. Resolvers serve the subset a miner reads (repositories with their
metadata, labels and issues; issues with labels, assignees, comment and reaction counts, milestone and
timeline events) from the same :class:`~issue_assets.emulator.server.EmulatorState` the REST routes serve,
so both APIs see the same data and the same mutations. A field outside that subset is an error naming it,
never a silent null.

GitHub's rules, as documented (docs.github.com, "Rate limits and node limits for the GraphQL API"):

* every connection that returns nodes or edges needs ``first`` or ``last``, within 1-100;
* a query may ask for at most 500,000 nodes (each connection's ``first``/``last`` multiplied through its
  parents, summed);
* its cost in points is the number of requests needed to fill every connection that has ``first`` or
  ``last`` (the product of its parents' page sizes), divided by 100 and rounded, at least 1; a connection
  asked only for ``totalCount`` costs nothing (what Sourcegraph measured against GitHub, PR #11402);
* a spent budget is answered HTTP 200 with ``errors[].type == "RATE_LIMITED"``; a repository that cannot
  be resolved is ``null`` in ``data`` with a ``NOT_FOUND`` error whose ``path`` names the alias.
"""

from __future__ import annotations

import base64
import json
import math
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute,
    get_named_type,
    parse,
    validate,
)
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.type.definition import GraphQLInterfaceType

from issue_assets.github.times import format_timestamp, normalize_timestamp

# The state and repository objects are server.EmulatorState and server.RepoState; server imports this module,
# so they are typed by what they are used for here (no import cycle, not even for type checking).
EmulatorState = Any
RepoState = Any

SCHEMA_FILE = Path(__file__).with_name("github_schema.graphql")
MAX_NODES = 500_000
MAX_PAGE = 100


@cache
def github_schema() -> GraphQLSchema:
    """GitHub's schema, parsed once per process (about 1.1 s for its 1.2 MB of SDL).

    ``assume_valid_sdl``: the published SDL defines two fields of ``EnterpriseOwnerInfo`` twice
    (``repositoryDeployKeySetting*``), which graphql-core's SDL check refuses; the built schema itself
    passes ``validate_schema``."""
    return build_schema(SCHEMA_FILE.read_text(encoding="utf-8"), assume_valid_sdl=True)


class QueryError(Exception):
    """A query GitHub refuses before running it (syntax, schema, pagination, node limit)."""

    def __init__(self, messages: list[dict]):
        self.messages = messages
        super().__init__("; ".join(m["message"] for m in messages))


@dataclass
class QueryCost:
    requests: int  # connections to fill, each counted once per parent node
    nodes: int  # nodes the query may return at most

    @property
    def points(self) -> int:
        # "Divide by 100 and round to the nearest whole number"; the minimum is 1.
        return max(1, math.floor(self.requests / 100 + 0.5))


def _is_connection(type_name: str) -> bool:
    return type_name.endswith("Connection")


def query_cost(schema: GraphQLSchema, document: Any, operation: OperationDefinitionNode,
               variables: Mapping[str, Any]) -> QueryCost:
    """GitHub's documented cost and node count of one operation; pagination rules are checked on the way."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root = schema.mutation_type if operation.operation.value == "mutation" else schema.query_type
    totals = QueryCost(0, 0)
    errors: list[dict] = []

    def walk(selection_set: SelectionSetNode | None, parent: Any, multiplier: int, seen: frozenset) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in seen or name not in fragments:
                    continue
                fragment = fragments[name]
                walk(fragment.selection_set, schema.type_map[fragment.type_condition.name.value], multiplier,
                     seen | {name})
            elif isinstance(selection, InlineFragmentNode):
                target = schema.type_map[selection.type_condition.name.value] if selection.type_condition else parent
                walk(selection.selection_set, target, multiplier, seen)
            elif isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__") or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                    continue
                field = parent.fields.get(name)
                if field is None:
                    continue
                named = get_named_type(field.type)
                child = multiplier
                if _is_connection(named.name):
                    args = get_argument_values(field, selection, dict(variables))
                    size = args.get("first") if args.get("first") is not None else args.get("last")
                    wants_items = any(isinstance(s, FieldNode) and s.name.value in ("nodes", "edges")
                                      for s in (selection.selection_set.selections if selection.selection_set
                                                else ()))
                    for bound in ("first", "last"):
                        value = args.get(bound)
                        if value is not None and not 1 <= value <= MAX_PAGE:
                            errors.append({"type": "EXCESSIVE_PAGINATION", "message":
                                           f"Requesting {value} records on the `{name}` connection exceeds the "
                                           f"`{bound}` limit of {MAX_PAGE} records."})
                    if size is None:
                        if wants_items:
                            errors.append({"type": "MISSING_PAGINATION_BOUNDARIES", "message":
                                           f"You must provide a `first` or `last` value to properly paginate "
                                           f"the `{name}` connection."})
                        size = 0  # totalCount only: no node, no request
                    else:
                        totals.requests += multiplier
                        totals.nodes += multiplier * size
                    child = multiplier * max(size, 0)
                walk(selection.selection_set, named, child, seen)

    walk(operation.selection_set, root, 1, frozenset())
    if errors:
        raise QueryError(errors)
    if totals.nodes > MAX_NODES:
        raise QueryError([{"type": "MAX_NODE_LIMIT_EXCEEDED", "message":
                           f"This query requests up to {totals.nodes:,} possible nodes which exceeds the maximum "
                           f"limit of {MAX_NODES:,}."}])
    return totals


class NotFound(GraphQLError):
    """A per-field error GitHub gives a type (``NOT_FOUND``, ``FORBIDDEN``)."""

    def __init__(self, message: str, error_type: str = "NOT_FOUND"):
        super().__init__(message)
        self.error_type = error_type


def _cursor(key: Any) -> str:
    return base64.b64encode(("cursor:v2:" + json.dumps(key)).encode()).decode()


def _uncursor(cursor: str) -> Any:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        if not text.startswith("cursor:v2:"):
            raise ValueError(cursor)
        return json.loads(text[len("cursor:v2:"):])
    except (ValueError, UnicodeDecodeError) as exc:
        raise GraphQLError(f"`{cursor}` does not appear to be a valid cursor.") from exc


def connection(items: Sequence[Any], args: Mapping[str, Any], node: Callable[[Any], Any],
               keys: Sequence[Any] | None = None, descending: bool = False, total: int | None = None) -> dict:
    """A Relay connection over ``items`` in their order. ``keys`` (sortable, in the same order; ascending
    unless ``descending``) make the cursors keyset cursors, so a page boundary stays put when items before
    it change; without them a cursor is the position."""
    keys = list(range(len(items))) if keys is None else keys
    start, end = 0, len(items)

    def position(cursor: str, after: bool) -> int:
        key = _uncursor(cursor)
        key = tuple(key) if isinstance(key, list) else key
        if not descending:
            return bisect_right(keys, key) if after else bisect_left(keys, key)
        ascending = keys[::-1]
        at_or_above = len(keys) - bisect_left(ascending, key)  # keys >= key come first
        above = len(keys) - bisect_right(ascending, key)
        return at_or_above if after else above

    if args.get("after"):
        start = max(start, position(args["after"], True))
    if args.get("before"):
        end = min(end, position(args["before"], False))
    end = max(start, end)
    first, last = args.get("first"), args.get("last")
    window_start, window_end = start, end
    if first is not None:
        window_end = min(window_end, window_start + first)
    if last is not None:
        window_start = max(window_start, window_end - last)
    chunk = range(window_start, window_end)

    def cursor_at(i: int) -> str:
        key = keys[i]
        return _cursor(list(key) if isinstance(key, tuple) else key)

    return {
        "totalCount": len(items) if total is None else total,
        "nodes": lambda info, **_: [node(items[i]) for i in chunk],
        "edges": lambda info, **_: [{"cursor": cursor_at(i), "node": node(items[i])} for i in chunk],
        "pageInfo": {
            "hasNextPage": window_end < end, "hasPreviousPage": window_start > start,
            "startCursor": cursor_at(window_start) if chunk else None,
            "endCursor": cursor_at(window_end - 1) if chunk else None,
        },
    }


def count_only(total: int, what: str) -> dict:
    """A connection the emulator counts but does not list (watchers, pull requests)."""

    def refuse(info: Any, **_: Any) -> None:
        raise GraphQLError(f"the emulator counts {what} but does not list them: ask for totalCount only")

    return {"totalCount": total, "nodes": refuse, "edges": refuse,
            "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None}}


def actor(user: Mapping[str, Any] | None) -> dict | None:
    if not isinstance(user, Mapping) or not user.get("login"):
        return None
    kind = "Organization" if user.get("type") == "Organization" else "Bot" if user.get("type") == "Bot" else "User"
    return {"__typename": kind, "login": user["login"], "databaseId": user.get("id"), "id": user.get("node_id"),
            "url": user.get("html_url"), "avatarUrl": user.get("avatar_url")}


# REST event names whose GraphQL type is not the plain CamelCase + "Event".
_EVENT_TYPES = {"renamed": "RenamedTitleEvent", "comment_deleted": "CommentDeletedEvent",
                "marked_as_duplicate": "MarkedAsDuplicateEvent", "unmarked_as_duplicate": "UnmarkedAsDuplicateEvent",
                "converted_note_to_issue": "ConvertedNoteToIssueEvent"}


def event_type(kind: str) -> str:
    """The GraphQL type of a REST issue event (``cross-referenced`` → ``CrossReferencedEvent``)."""
    return _EVENT_TYPES.get(kind) or "".join(p.title() for p in kind.replace("-", "_").split("_")) + "Event"


def _item_type(type_name: str) -> str:
    """``ClosedEvent`` → ``CLOSED_EVENT`` (IssueTimelineItemsItemType)."""
    out = "".join("_" + c if c.isupper() and i else c for i, c in enumerate(type_name))
    return out.upper()


class Resolvers:
    """Builds GraphQL objects (dicts; callables for fields with arguments) from the emulator's REST data."""

    def __init__(self, state: EmulatorState, schema: GraphQLSchema):
        self.state = state
        self.timeline_types = {t.name for t in schema.type_map["IssueTimelineItems"].types}

    def query(self) -> dict:
        return {"repository": self.repository, "rateLimit": None}  # rateLimit is set per request

    def repository(self, info: Any, owner: str, name: str, followRenames: bool = True) -> dict:
        full = f"{owner}/{name}".lower()
        state = self.state
        repo = None
        if full in state.moved and followRenames:
            repo = state.by_id.get(state.moved[full])
        elif full not in state.moved:
            repo = state.repos.get(full)
        status = state.status.get(repo.full_name.lower()) if repo is not None else None
        if repo is None or status == 404:
            raise NotFound(f"Could not resolve to a Repository with the name '{owner}/{name}'.")
        if status == 451:
            raise NotFound(f"Repository access blocked: {owner}/{name}", "FORBIDDEN")
        return self.repository_node(repo)

    def repository_node(self, repo: RepoState) -> dict:
        data = repo.repo
        license_ = data.get("license") if isinstance(data.get("license"), dict) else None
        return {
            "__typename": "Repository",
            "id": data.get("node_id"), "databaseId": data.get("id"), "name": data.get("name"),
            "nameWithOwner": data["full_name"], "owner": actor(data.get("owner")),
            "description": data.get("description"), "url": data.get("html_url"),
            "homepageUrl": data.get("homepage"), "stargazerCount": data.get("stargazers_count") or 0,
            "forkCount": data.get("forks_count") or 0,
            "watchers": lambda info, **args: count_only(data.get("subscribers_count") or 0, "watchers"),
            "primaryLanguage": {"name": data["language"]} if data.get("language") else None,
            "licenseInfo": {"spdxId": license_.get("spdx_id"), "key": license_.get("key"),
                            "name": license_.get("name")} if license_ else None,
            "isArchived": bool(data.get("archived")), "isFork": bool(data.get("fork")),
            "isPrivate": bool(data.get("private")), "isDisabled": bool(data.get("disabled")),
            "hasIssuesEnabled": bool(data.get("has_issues", True)),
            "createdAt": data.get("created_at"), "updatedAt": data.get("updated_at"), "pushedAt": data.get("pushed_at"),
            "issues": lambda info, **args: self.issues(repo, args),
            "pullRequests": lambda info, **args: self.pull_requests(repo, args),
            "labels": lambda info, **args: connection(repo.labels, args, self.label_node),
            "issue": lambda info, number: self.issue(repo, number),
        }

    def issues(self, repo: RepoState, args: Mapping[str, Any]) -> dict:
        filters = dict(args.get("filterBy") or {})
        order = args.get("orderBy") or {"field": "CREATED_AT", "direction": "ASC"}
        states = args.get("states") or filters.get("states")
        for unsupported in ("labels", "assignee", "createdBy", "mentioned", "milestone", "milestoneNumber"):
            if args.get(unsupported) is not None or filters.get(unsupported) is not None:
                raise GraphQLError(f"the emulator does not filter issues by {unsupported}")
        sort = {"CREATED_AT": "created", "UPDATED_AT": "updated", "COMMENTS": "comments"}[order["field"]]
        descending = order.get("direction") == "DESC"
        numbers, keys = repo.issue_order(sort, descending, tuple(sorted(states)) if states else None)
        since = filters.get("since")
        if since is not None:
            since = normalize_timestamp(since)
            if sort == "updated":
                # The update order holds the issues updated since ``since`` as one contiguous run.
                if descending:
                    cut = len(keys) - bisect_left(keys[::-1], (since, -1))
                    numbers, keys = numbers[:cut], keys[:cut]
                else:
                    cut = bisect_left(keys, (since, -1))
                    numbers, keys = numbers[cut:], keys[cut:]
            else:
                kept = [i for i, n in enumerate(numbers) if repo.issues.field(n, "updated_at") >= since]
                numbers, keys = [numbers[i] for i in kept], [keys[i] for i in kept]
        return connection(numbers, args, lambda n: self.issue_node(repo, repo.issues.get(n)), keys=keys,
                          descending=descending)

    def pull_requests(self, repo: RepoState, args: Mapping[str, Any]) -> dict:
        states = set(args.get("states") or ("OPEN", "CLOSED", "MERGED"))
        total = 0
        for number in repo.issues:
            if not repo.issues.field(number, "pull_request"):
                continue
            state = repo.issues.field(number, "state").upper()
            if state == "CLOSED" and repo.issues.field(number, "merged"):
                state = "MERGED"
            total += state in states
        return count_only(total, "pull requests")

    def issue(self, repo: RepoState, number: int) -> dict:
        if number not in repo.issues or repo.issues.field(number, "pull_request"):
            raise NotFound(f"Could not resolve to an Issue with the number of {number}.")
        return self.issue_node(repo, repo.issues.get(number))

    @staticmethod
    def label_node(label: Mapping[str, Any]) -> dict:
        return {"__typename": "Label", "id": label.get("node_id"), "name": label.get("name"),
                "color": label.get("color"), "description": label.get("description"),
                "isDefault": bool(label.get("default")), "url": label.get("url")}

    def issue_node(self, repo: RepoState, issue: dict) -> dict:
        reactions = issue.get("reactions") if isinstance(issue.get("reactions"), dict) else {}
        milestone = issue.get("milestone") if isinstance(issue.get("milestone"), dict) else None
        comments = repo.comments.get(issue["number"], [])
        number = issue["number"]
        return {
            "__typename": "Issue",
            "id": issue.get("node_id"), "databaseId": issue["id"], "number": number,
            "title": issue.get("title") or "", "body": issue.get("body") or "",
            "state": str(issue["state"]).upper(),
            "stateReason": str(issue["state_reason"]).upper() if issue.get("state_reason") else None,
            "closed": issue["state"] == "closed", "locked": bool(issue.get("locked")),
            "activeLockReason": str(issue["active_lock_reason"]).upper() if issue.get("active_lock_reason") else None,
            "author": actor(issue.get("user")),
            "authorAssociation": issue.get("author_association") or "NONE",
            "createdAt": issue.get("created_at"), "updatedAt": issue.get("updated_at"),
            "closedAt": issue.get("closed_at"), "url": issue.get("html_url"),
            "milestone": {"title": milestone.get("title"), "number": milestone.get("number"),
                          "id": milestone.get("node_id")} if milestone else None,
            "labels": lambda info, **args: connection(issue.get("labels") or [], args, self.label_node),
            "assignees": lambda info, **args: connection(issue.get("assignees") or [], args, actor),
            "comments": lambda info, **args: connection(comments, args, lambda c: {
                "__typename": "IssueComment", "body": c.get("body") or "", "author": actor(c.get("user")),
                "createdAt": c.get("created_at"), "databaseId": c.get("id")}, total=issue.get("comments") or 0),
            "reactions": lambda info, **args: count_only(int(reactions.get("total_count") or 0), "reactions"),
            "timelineItems": lambda info, **args: self.timeline(repo, number, args),
            "repository": lambda info, **args: self.repository_node(repo),
        }

    def timeline(self, repo: RepoState, number: int, args: Mapping[str, Any]) -> dict:
        wanted = set(args.get("itemTypes") or ())
        since = normalize_timestamp(args["since"]) if args.get("since") else None
        items = []
        for event in repo.events_of(number):  # oldest first
            kind = event_type(event["event"])
            if kind not in self.timeline_types or (wanted and _item_type(kind) not in wanted):
                continue
            if since is not None and (event.get("created_at") or "") < since:
                continue
            items.append(event)
        return connection(items, args, lambda e: {
            "__typename": event_type(e["event"]), "id": e.get("node_id"), "actor": actor(e.get("actor")),
            "createdAt": e.get("created_at"), "databaseId": e.get("id"),
        })


def field_resolver(source: Any, info: Any, **args: Any) -> Any:
    """Dict lookup (callables get the arguments); a field the emulator does not serve is an error naming it."""
    name = info.field_name
    if isinstance(source, Mapping):
        if name not in source:
            raise GraphQLError(f"the emulator does not serve {info.parent_type.name}.{name}")
        value = source[name]
        return value(info, **args) if callable(value) else value
    return getattr(source, name, None)


@dataclass
class GraphQLAnswer:
    status: int
    body: dict
    cost: int = 0  # points spent
    nodes: int = 0
    seconds: float = 0.0


class GraphQLEndpoint:
    """Parses, validates, costs and runs one query against the emulator's state."""

    def __init__(self, state: EmulatorState):
        self.state = state
        self.schema = github_schema()
        self.resolvers = Resolvers(state, self.schema)

    def prepare(self, body: bytes) -> tuple[Any, OperationDefinitionNode, dict, QueryCost]:
        """The parsed query, its operation, variables and cost; :class:`QueryError` when GitHub would refuse it."""
        try:
            request = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise QueryError([{"message": f"Problems parsing JSON: {exc}"}]) from exc
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            raise QueryError([{"message": "A query attribute must be specified and must be a string."}])
        try:
            document = parse(request["query"])
        except GraphQLError as exc:
            raise QueryError([_format(exc)]) from exc
        problems = validate(self.schema, document)
        if problems:
            raise QueryError([_format(e) for e in problems])
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        wanted = request.get("operationName")
        chosen = [o for o in operations if wanted is None or (o.name and o.name.value == wanted)]
        if len(chosen) != 1:
            raise QueryError([{"message": "An operation name is required" if wanted is None else
                               f'No operation named "{wanted}"'}])
        operation = chosen[0]
        if operation.operation.value != "query":
            raise QueryError([{"message": "the emulator runs queries only (no mutation or subscription)"}])
        coerced = get_variable_values(self.schema, operation.variable_definitions or [],
                                      request.get("variables") or {})
        if isinstance(coerced, list):
            raise QueryError([_format(e) for e in coerced])
        return document, operation, coerced, query_cost(self.schema, document, operation, coerced)

    def run(self, document: Any, operation: OperationDefinitionNode, variables: dict,
            rate_limit: dict) -> tuple[dict, float]:
        """``data``/``errors`` as GitHub answers them, and the seconds the execution took."""
        root = self.resolvers.query()
        root["rateLimit"] = lambda info, **_: rate_limit
        started = time.perf_counter()
        with self.state.lock:
            result = execute(self.schema, document, root_value=root, variable_values=variables,
                             operation_name=operation.name.value if operation.name else None,
                             field_resolver=field_resolver)
        seconds = time.perf_counter() - started
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [_format(e) for e in result.errors]
        return body, seconds


def _format(error: GraphQLError) -> dict:
    out = error.formatted
    original = error.original_error if isinstance(error.original_error, NotFound) else error
    if isinstance(original, NotFound):
        out = {"type": original.error_type, **out}
    return out


def rate_limit_object(limit: int, remaining: int, reset_epoch: float, cost: int, nodes: int) -> dict:
    return {"limit": limit, "remaining": remaining, "used": limit - remaining, "cost": cost, "nodeCount": nodes,
            "resetAt": format_timestamp_epoch(reset_epoch)}


def format_timestamp_epoch(epoch: float) -> str:
    from datetime import UTC, datetime

    return format_timestamp(datetime.fromtimestamp(math.ceil(epoch), UTC))

