"""What each warehouse table holds: its columns, their DuckDB types and what each one means.

The one source of the column descriptions: ``warehouse`` creates the tables from it, the Dagster
layer attaches it to each table asset (``dagster/column_schema``, shown in the UI's catalog), and
``scripts/render_catalog.py`` writes it into docs/reference.md (``tests/test_catalog.py`` checks that the
page is current). Each description follows the code that computes the column: ``mining`` (GitHub
objects), ``sources.repositories`` (the list), ``analysis.features`` and ``analysis.text`` (issue
features), ``analysis.metrics``, ``analysis.study``, ``analysis.regression``, ``analysis.annotation``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # the DuckDB type
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    asset: str | None  # the asset that writes it (None: written alongside another asset's rows)
    description: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _columns(*rows: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*row) for row in rows)


UTC = "(UTC, without time zone)"
REPO = ("repo", "VARCHAR", "The repository as `owner/name`, spelled as the list first named it: its `repositories` "
                           "partition key.")
NUMBER = ("number", "INTEGER", "The issue's number within its repository.")
# Shared by raw_issues and labeled_issues, which copies them.
ISSUE = {
    "id": ("id", "BIGINT", "GitHub's id of the issue (unique across repositories)."),
    "title": ("title", "VARCHAR", "The issue's title."),
    "state": ("state", "VARCHAR", "`open` or `closed` when last fetched."),
    "user_login": ("user_login", "VARCHAR", "Login of the reporter (who opened the issue)."),
    "created_at": ("created_at", "TIMESTAMP", f"When the issue was opened {UTC}."),
    "closed_at": ("closed_at", "TIMESTAMP", f"When the issue was last closed {UTC}; null while open."),
    "closed_by": ("closed_by", "VARCHAR", "Login of who last closed it (the repository's issue events, else "
                                          "GitHub's `closed_by`); null while open or when unknown."),
    "comments": ("comments", "INTEGER", "Number of comments."),
    "labels": ("labels", "VARCHAR[]", "Names of the labels it carries."),
    "assignees": ("assignees", "VARCHAR[]", "Logins of its assignees."),
}
# Shared by issue_texts and labeled_issues (``features.TEXT_COLUMNS``), computed from the title and body alone.
TEXT = {
    "category": ("category", "VARCHAR", "Taxonomy category of what the reporter needed (one of the 13 ids of "
                                        "`analysis/taxonomy.py`): the learned classifier's (a project's own once "
                                        "`project_classifier` beats the shipped one); `other` for a text without "
                                        "words."),
    "confidence": ("confidence", "DOUBLE", "The classifier's probability of `category`, calibrated by temperature "
                                           "scaling (1.0 for a text without words)."),
    "evidence": ("evidence", "VARCHAR", "Why: the model's probability and the codebook rules' category with the "
                                        "patterns that matched."),
    "title_length": ("title_length", "INTEGER", "Characters in the title."),
    "body_length": ("body_length", "INTEGER", "Characters in the body (0 when empty)."),
    "body_lines": ("body_lines", "INTEGER", "Lines of the body (0 when empty)."),
    "has_code_block": ("has_code_block", "BOOLEAN", "The body holds a fenced (```, ~~~) or HTML (`<pre>`, `<code>`) "
                                                    "code block."),
    "has_url": ("has_url", "BOOLEAN", "The body holds an http(s) or www link."),
    "title_language": ("title_language", "VARCHAR", "ISO 639-1 code of the title's language (py3langid among 19 "
                                                    "languages; a title of Latin letters is `en` unless another "
                                                    "language is 99% certain); null when it has no words."),
    "english_title": ("english_title", "BOOLEAN", "`title_language` is `en`; null when the title has no words."),
    "english": ("english", "BOOLEAN", "Title and body together read as English; null when they have no words."),
    "sentiment_title": ("sentiment_title", "DOUBLE", "VADER compound score of the title's prose (code and links left "
                                                     "out) in [-1, 1]; 0 without words."),
    "sentiment_body": ("sentiment_body", "DOUBLE", "VADER compound score of the body's prose (code and links left "
                                                   "out) in [-1, 1]; 0 without words."),
}
TEXT_DIGEST = ("text_digest", "VARCHAR", "MD5 of the version of everything that reads the text (the code, the text "
                                         "libraries, the classifier's model file), the title and the body: the text "
                                         "features are computed again when it changes.")
# Two-group comparisons (``stats.compare_groups``), as closure_tests and owner_comparison report them.
CLIFFS = "P(X > Y) - P(X < Y) from mid-ranks, in [-1, 1]"
MAGNITUDE = ("cliffs_magnitude", "VARCHAR", "|Cliff's delta| after Romano et al. (2006): negligible < 0.147 <= "
                                            "small < 0.33 <= medium < 0.474 <= large.")
HOLM = "Holm-adjusted p-value within the table's family of tests (null p-values stay out of the family)"

TABLES: dict[str, Table] = {table.name: table for table in (
    Table("repositories", "ai_repositories", "The repository list: one row per GitHub repository (mono-repositories "
          "listed for several papers once), kept with `listed = false` when it leaves the list.", _columns(
        REPO,
        ("paper", "VARCHAR", "Title of the paper the code belongs to (the first row's, for a mono-repository)."),
        ("conference", "VARCHAR", "The paper's venue: its first word, lower case (`nips` read as `neurips`, "
                                  "`sigkdd` as `kdd`)."),
        ("year", "INTEGER", "The paper's year."),
        ("framework", "VARCHAR", "The deep-learning framework the list gives."),
        ("owner_type", "VARCHAR", "`academia` or `industry`, as the list gives it; null otherwise."),
        ("papers", "INTEGER", "Rows of the list merged into this one: papers sharing the repository (1 unless a "
                              "mono-repository)."),
        ("source", "VARCHAR", "The list it was read from: `seed:<file>`, `repodb:<file>` or `pwc:<file>`."),
        ("listed", "BOOLEAN", "On the list last read; false: it left the list and keeps its data."),
        ("first_listed_at", "TIMESTAMP", f"When a list first held it {UTC}."),
        ("last_listed_at", "TIMESTAMP", f"When a list that holds it was last read {UTC}."),
    )),
    Table("repo_metadata", "repo_metadata", "One row per repository as GitHub described it at its last fetch.",
          _columns(
        REPO,
        ("full_name", "VARCHAR", "GitHub's current `owner/name` (another name after a rename); null when unavailable."),
        ("state", "VARCHAR", "`ok`, `renamed` (followed), `not_found` (404), `gone` (410: issues disabled) or "
                             "`blocked` (451)."),
        ("http_status", "INTEGER", "HTTP status of GitHub's answer for the repository."),
        ("message", "VARCHAR", "GitHub's message when it is not `ok`; null otherwise."),
        ("github_id", "BIGINT", "GitHub's id of the repository."),
        ("description", "VARCHAR", "The repository's description on GitHub."),
        ("stars", "INTEGER", "Stargazers."),
        ("forks", "INTEGER", "Forks."),
        ("watchers", "INTEGER", "Accounts watching it (subscribers)."),
        ("open_issues_and_prs", "INTEGER", "GitHub's `open_issues_count`: open issues and pull requests together."),
        ("language", "VARCHAR", "GitHub's main programming language of the repository."),
        ("license", "VARCHAR", "SPDX id of its license."),
        ("archived", "BOOLEAN", "Archived (read-only) on GitHub."),
        ("is_fork", "BOOLEAN", "A fork of another repository."),
        ("has_issues", "BOOLEAN", "Its issue tracker is enabled."),
        ("account_type", "VARCHAR", "The owner's account type: `User` or `Organization`."),
        ("created_at", "TIMESTAMP", f"When the repository was created {UTC}."),
        ("pushed_at", "TIMESTAMP", f"Its last push {UTC}."),
        ("labels", "VARCHAR[]", "Names of the labels it defines."),
        ("n_labels_defined", "INTEGER", "Labels it defines."),
        ("n_custom_labels", "INTEGER", "Labels it defines beyond GitHub's nine defaults."),
        ("contributors", "INTEGER", "Contributors GitHub counts (commit authors linked to an account; 0 when none)."),
        ("fetched_at", "TIMESTAMP", f"When this fetch of the repository began {UTC}."),
    )),
    Table("raw_issues", "raw_issues", "Every issue of the listed repositories as GitHub returned it (never a pull "
          "request), merged across refreshes.", _columns(
        REPO, NUMBER, ISSUE["id"], ISSUE["title"],
        ("body", "VARCHAR", "The issue's body (Markdown; empty when none)."),
        ISSUE["state"],
        ("state_reason", "VARCHAR", "GitHub's reason for the state (`completed`, `not_planned`, `reopened`, ...), "
                                    "or null."),
        ISSUE["user_login"],
        ("author_association", "VARCHAR", "The reporter's relation to the repository: `OWNER`, `MEMBER`, "
                                          "`COLLABORATOR`, `CONTRIBUTOR`, `NONE`..."),
        ISSUE["created_at"],
        ("updated_at", "TIMESTAMP", f"When the issue last changed on GitHub {UTC}: refreshes ask for issues "
                                    "updated since the newest seen."),
        ISSUE["closed_at"], ISSUE["closed_by"], ISSUE["comments"], ISSUE["labels"], ISSUE["assignees"],
        ("milestone", "VARCHAR", "Title of its milestone."),
        ("locked", "BOOLEAN", "Conversation locked."),
        ("reactions", "INTEGER", "Reactions to the issue, all kinds."),
        ("is_pull_request", "BOOLEAN", "Always false: pull requests are counted (`fetch_state.pull_requests`), "
                                       "not stored."),
        ("html_url", "VARCHAR", "The issue's page on GitHub."),
        ("fetched_at", "TIMESTAMP", f"When the fetch that last brought this issue began {UTC}."),
        ("deleted_at", "TIMESTAMP", f"When a complete listing of the repository first lacked it (deleted or "
                                    f"transferred) {UTC}: the row stays as last seen and the analysis leaves it out; "
                                    "null while it exists."),
    )),
    Table("fetch_state", None, "What the next refresh of each repository starts from, written in the same "
          "transaction as the repository's `raw_issues` rows (by the `raw_issues` fetch).", _columns(
        REPO,
        ("issues_cursor", "VARCHAR", "The newest `updated_at` seen: the next refresh asks for issues updated since."),
        ("newest_event_id", "BIGINT", "The newest issue event read: the next walk of the events stops there."),
        ("closers_complete", "BOOLEAN", "Every closing event has been read, so each closed issue's closer is known "
                                        "where GitHub names one."),
        ("pull_requests", "INTEGER", "Pull requests in the last complete listing (GitHub lists them with the issues)."),
        ("last_fetched_at", "TIMESTAMP", f"When the last successful fetch of the repository began {UTC}: every "
                                         "stored issue was as stored then."),
    )),
    Table("issue_texts", "issue_texts", "The text features of each issue, computed once per text and classifier.",
          _columns(REPO, NUMBER, TEXT_DIGEST, *TEXT.values())),
    Table("labeled_issues", "labeled_issues", "Every live issue of the listed repositories with its category and the "
          "study's issue features: the rows every analysis table is computed from.", _columns(
        REPO, NUMBER, *(ISSUE[c] for c in ("id", "title", "state", "user_login", "created_at", "closed_at",
                                           "closed_by", "comments", "labels", "assignees")),
        TEXT["category"], TEXT["confidence"], TEXT["evidence"],
        ("closed", "BOOLEAN", "`state` is `closed`."),
        ("resolution_days", "DOUBLE", "Days from opening to closing; null while open (censored: see `age_days`)."),
        ("age_days", "DOUBLE", "Days from opening to closing, or for an open issue to its repository's last "
                               "successful fetch: the follow-up time of the survival analysis."),
        ("self_closed", "BOOLEAN", "Closed by its own reporter; null while open or when the closer is unknown."),
        ("ignored", "BOOLEAN", "Open with no comment, no label and no assignee."),
        ("title_length", "BIGINT", TEXT["title_length"][2]),
        ("body_length", "BIGINT", TEXT["body_length"][2]),
        ("body_lines", "BIGINT", TEXT["body_lines"][2]),
        *(TEXT[c] for c in ("has_code_block", "has_url", "title_language", "english_title", "english",
                            "sentiment_title", "sentiment_body")),
        ("has_label", "BOOLEAN", "Carries at least one label."),
        ("n_labels", "BIGINT", "Labels it carries."),
        ("has_assignee", "BOOLEAN", "Has at least one assignee."),
        ("n_assignees", "BIGINT", "Its assignees."),
        ("repo_contributors", "BIGINT", "Contributors of its repository (`repo_metadata.contributors`)."),
        TEXT_DIGEST,
    )),
    Table("repo_metrics", "repo_metrics", "One row per listed repository: how its issues are handled (rates are null, "
          "never 0, where there is nothing to divide by).", _columns(
        REPO,
        ("full_name", "VARCHAR", "GitHub's current `owner/name` (`repo_metadata`)."),
        ("state", "VARCHAR", "The repository's state at its last fetch (`repo_metadata`)."),
        ("owner_type", "VARCHAR", "`academia` or `industry`, from the list."),
        ("conference", "VARCHAR", "The paper's venue, from the list."),
        ("year", "BIGINT", "The paper's year, from the list."),
        ("stars", "BIGINT", "Stargazers (`repo_metadata`)."),
        ("forks", "BIGINT", "Forks (`repo_metadata`)."),
        ("contributors", "BIGINT", "Contributors (`repo_metadata`)."),
        ("n_labels_defined", "BIGINT", "Labels the repository defines."),
        ("n_custom_labels", "BIGINT", "Labels it defines beyond GitHub's nine defaults."),
        ("issues", "BIGINT", "Its live issues (`labeled_issues` rows)."),
        ("open", "BIGINT", "Open issues."),
        ("closed", "BIGINT", "Closed issues."),
        ("close_rate", "DOUBLE", "closed / issues; null without issues."),
        ("open_rate", "DOUBLE", "open / issues; null without issues."),
        ("ignored", "BIGINT", "Ignored issues: open, no comment, label or assignee."),
        ("ignored_rate", "DOUBLE", "ignored / open; null without open issues."),
        ("self_closed", "BIGINT", "Closed issues closed by their own reporter."),
        ("closers_known", "BIGINT", "Closed issues whose closer is known."),
        ("self_closed_rate", "DOUBLE", "self_closed / closers_known; null when no closer is known."),
        ("resolution_days_median", "DOUBLE", "Median days from opening to closing, over closed issues."),
        ("resolution_days_mean", "DOUBLE", "Mean days from opening to closing, over closed issues."),
        ("issues_with_label", "BIGINT", "Issues with at least one label."),
        ("label_rate", "DOUBLE", "issues_with_label / issues; null without issues."),
        ("uses_labels", "BOOLEAN", "At least one issue has a label."),
        ("issues_with_assignee", "BIGINT", "Issues with at least one assignee."),
        ("assignee_rate", "DOUBLE", "issues_with_assignee / issues; null without issues."),
        ("uses_assignees", "BOOLEAN", "At least one issue has an assignee."),
    )),
    Table("regression_table", "regression_table", "Two models of closure on all closure features at once, standard "
          "errors clustered by repository: the `logit` rows, then the `cox` rows.", _columns(
        ("model", "VARCHAR", "`logit` (closed or not) or `cox` (time to close, open issues right-censored)."),
        ("term", "VARCHAR", "`intercept` (logit) or a feature; counts and lengths enter as `log_<feature>` "
                            "(log1p); `(model not fitted)` on the one row of a model that could not be fitted."),
        ("coef", "DOUBLE", "The term's coefficient (log odds for logit, log hazard for cox)."),
        ("std_err", "DOUBLE", "Its standard error, clustered by repository (model-based for one repository)."),
        ("z", "DOUBLE", "coef / std_err."),
        ("p_value", "DOUBLE", "Two-sided p-value of the coefficient."),
        ("odds_ratio", "DOUBLE", "exp(coef) of the logit: the odds of closure per unit of the term; null for cox."),
        ("hazard_ratio", "DOUBLE", "exp(coef) of the cox model: above 1, closed sooner; null for logit."),
        ("ci_low", "DOUBLE", "Lower bound of the 95% interval of the odds or hazard ratio."),
        ("ci_high", "DOUBLE", "Upper bound of that interval."),
        ("vif", "DOUBLE", "Variance inflation factor of the term (logit; above 5 to 10 its own coefficient is "
                          "unstable); null for the intercept and for cox."),
        ("ph_rho", "DOUBLE", "Cox: correlation of the term's scaled Schoenfeld residuals with the rank of time."),
        ("ph_p_value", "DOUBLE", "Cox: p-value of that correlation; below 0.05 rejects proportional hazards."),
        ("n", "BIGINT", "Issues the model is fitted on."),
        ("n_excluded", "BIGINT", "Issues left out for a missing value of a term (or, for cox, an unusable time)."),
        ("events", "BIGINT", "Closed issues among them."),
        ("clusters", "BIGINT", "Repositories among them (the clusters of the standard errors)."),
        ("pseudo_r2", "DOUBLE", "McFadden's pseudo-R² of the logit; null for cox."),
        ("converged", "BOOLEAN", "The fit converged (with finite coefficients, for cox)."),
        ("note", "VARCHAR", "Terms left out (no variation, linear combinations), fit warnings, rejected "
                            "proportional hazards, or why the model was not fitted."),
    )),
    Table("study_summary", "study_summary", "The study's RQ2 headline numbers, one metric a row (docs/reference.md "
          "lists the metrics).", _columns(
        ("metric", "VARCHAR", "Name of the number (`issues`, `closed_share`, `resolution_days_median`, ...)."),
        ("value", "DOUBLE", "Its value; null when it cannot be computed from the data at hand."),
        ("n", "BIGINT", "The rows it is computed over (issues, closed issues, repositories...)."),
        ("definition", "VARCHAR", "What it counts and over which rows, written out."),
    )),
    Table("category_distribution", "category_distribution", "RQ1: one row per taxonomy category (and any other "
          "category found).", _columns(
        ("category", "VARCHAR", "Taxonomy category id."),
        ("issues", "BIGINT", "Issues of the category."),
        ("share", "DOUBLE", "issues / n."),
        ("share_ci_low", "DOUBLE", "Lower bound of the 95% Wilson interval of the share."),
        ("share_ci_high", "DOUBLE", "Upper bound of that interval."),
        ("closed", "BIGINT", "Closed issues of the category."),
        ("close_rate", "DOUBLE", "closed / issues; null without issues."),
        ("close_rate_ci_low", "DOUBLE", "Lower bound of the 95% Wilson interval of the close rate."),
        ("close_rate_ci_high", "DOUBLE", "Upper bound of that interval."),
        ("resolution_days_median", "DOUBLE", "Median days to close over its closed issues (biased low: open issues "
                                             "are left out)."),
        ("km_median_days", "DOUBLE", "Kaplan-Meier median days to close, open issues censored; null while more "
                                     "than half remain open."),
        ("n", "BIGINT", "All issues: the denominator of the share."),
    )),
    Table("closure_tests", "closure_tests", "RQ3: each closure feature in closed (X) against open (Y) issues, then "
          "each tested label (GitHub's defaults and those on at least 20 issues in 3 repositories).", _columns(
        ("family", "VARCHAR", "`feature` or `label`: the family Holm adjusts within."),
        ("feature", "VARCHAR", "The issue feature, or `label:<name>` (lower case)."),
        ("test", "VARCHAR", "`wilcoxon_rank_sum` (features) or `fisher_exact` (labels)."),
        ("n_closed", "BIGINT", "Closed issues compared (with a value of the feature)."),
        ("n_open", "BIGINT", "Open issues compared."),
        ("n_excluded", "BIGINT", "Issues without a value of the feature (0 for labels)."),
        ("median_closed", "DOUBLE", "Median of the feature among closed issues (features only)."),
        ("median_open", "DOUBLE", "Median among open issues (features only)."),
        ("mean_closed", "DOUBLE", "Mean among closed issues; for a label, the share of closed issues carrying it."),
        ("mean_open", "DOUBLE", "Mean among open issues; for a label, the share of open issues carrying it."),
        ("statistic", "DOUBLE", "Mann-Whitney U of the closed issues (features only)."),
        ("p_value", "DOUBLE", "Two-sided p-value (rank-sum, or Fisher's exact test); null for a label no issue "
                              "carries."),
        ("p_holm", "DOUBLE", f"{HOLM}."),
        ("cliffs_delta", "DOUBLE", f"Cliff's delta of closed against open issues, {CLIFFS} (features only)."),
        MAGNITUDE,
        ("cohens_d", "DOUBLE", "Cohen's d: difference of the means over the pooled standard deviation (features "
                               "only)."),
        ("odds_ratio", "DOUBLE", "Labels: conditional maximum-likelihood odds ratio of closure with the label "
                                 "against without it."),
        ("ci_low", "DOUBLE", "Lower bound of its 95% interval (exact conditional; Woolf's for large tables, named in "
                             "`note`)."),
        ("ci_high", "DOUBLE", "Upper bound of that interval."),
        ("note", "VARCHAR", "Why a statistic is missing (empty group, ties, no spread, no issue carries the label) "
                            "or which interval was used."),
    )),
    Table("repo_correlations", "repo_correlations", "Repository size and popularity against how its issues are "
          "handled, over repositories with at least one closed issue.", _columns(
        ("x", "VARCHAR", "`stars`, `issues` or `contributors`."),
        ("y", "VARCHAR", "`resolution_days_mean` or `close_rate`."),
        ("method", "VARCHAR", "`spearman` or `pearson`."),
        ("coefficient", "DOUBLE", "The correlation coefficient."),
        ("p_value", "DOUBLE", "Its two-sided p-value."),
        ("p_holm", "DOUBLE", f"{HOLM} (all rows of the table)."),
        ("n", "BIGINT", "Repositories with both values."),
        ("n_excluded", "BIGINT", "Repositories left out: without a closed issue, or without a value of x or y."),
        ("note", "VARCHAR", "Why repositories were left out, or why the coefficient is undefined."),
    )),
    Table("owner_comparison", "owner_comparison", "Academia (X) against industry (Y) repositories, one "
          "repository-level variable a row.", _columns(
        ("variable", "VARCHAR", "`issues`, `stars`, `contributors`, `close_rate`, `assignee_rate`, `label_rate` or "
                                "`resolution_days_mean` (`repo_metrics`)."),
        ("n_academia", "BIGINT", "Academic repositories with a value."),
        ("n_industry", "BIGINT", "Industrial repositories with a value."),
        ("n_excluded", "BIGINT", "Repositories left out: unknown owner type, or no value (no issue, no closed issue)."),
        ("median_academia", "DOUBLE", "Median among academic repositories."),
        ("median_industry", "DOUBLE", "Median among industrial repositories."),
        ("mean_academia", "DOUBLE", "Mean among academic repositories."),
        ("mean_industry", "DOUBLE", "Mean among industrial repositories."),
        ("statistic", "DOUBLE", "Mann-Whitney U of the academic repositories."),
        ("p_value", "DOUBLE", "Two-sided p-value of the rank-sum test."),
        ("p_holm", "DOUBLE", f"{HOLM} (the variables)."),
        ("cliffs_delta", "DOUBLE", f"Cliff's delta of academia against industry, {CLIFFS}."),
        MAGNITUDE,
        ("cohens_d", "DOUBLE", "Cohen's d: difference of the means over the pooled standard deviation."),
        ("note", "VARCHAR", "Why repositories were left out, or why a statistic is undefined."),
    )),
    Table("annotation_agreement", "annotation_agreement", "Agreement of the hand codes of the annotation sample, one "
          "pair of codings a row.", _columns(
        ("pair", "VARCHAR", "`coder_a vs coder_b`, `<coder> vs classifier`, or `consensus vs classifier` (the "
                            "issues the coders coded alike)."),
        ("n", "BIGINT", "Issues both codings coded."),
        ("observed", "DOUBLE", "Share of those issues coded alike."),
        ("kappa", "DOUBLE", "Cohen's kappa; null when a single code is used throughout."),
        ("ci_low", "DOUBLE", "Lower bound of its asymptotic 95% interval (within [-1, 1])."),
        ("ci_high", "DOUBLE", "Upper bound of that interval."),
        ("strength", "VARCHAR", "Landis & Koch: poor (<= 0), slight (<= 0.2), fair (<= 0.4), moderate (<= 0.6), "
                                "substantial (<= 0.8), almost perfect."),
    )),
)}

# Tables written row by row (a repository's rows, a chunk of text features), created up front and widened
# in place; the others are replaced whole by the asset that computes them.
ROW_TABLES = ("repositories", "repo_metadata", "raw_issues", "issue_texts", "fetch_state")


def markdown() -> str:
    """The tables and their columns as docs/reference.md shows them."""
    lines: list[str] = []
    for table in TABLES.values():
        writer = f"Asset: `{table.asset}`." if table.asset else "Written by the fetch of `raw_issues`."
        lines += [f"### `{table.name}`", "", f"{table.description} {writer}", "", "| column | type | meaning |",
                  "|---|---|---|"]
        lines += [f"| `{c.name}` | `{c.type}` | {c.description.replace('|', '&#124;')} |" for c in table.columns]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
