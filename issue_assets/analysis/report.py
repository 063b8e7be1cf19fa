"""The study report: one self-contained HTML page (tables and PNG figures inlined as data URIs).

Figures use matplotlib's object API (``Figure`` with the Agg canvas): no display, no pyplot global
state, safe in Dagster's worker threads.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from issue_assets.analysis.survival import durations, kaplan_meier_curve

FIGURE_DPI = 110
METHODS = """
<ul>
<li><b>Shares</b> come with 95% Wilson score intervals.</li>
<li><b>Closed vs open issues</b>: Wilcoxon rank-sum (Mann-Whitney U of the closed issues; exact for small samples
without ties, otherwise normal approximation with tie and continuity correction), Holm-adjusted over the features;
effect sizes Cliff's delta (P(closed &gt; open) - P(closed &lt; open); |d| &lt; 0.147 negligible, &lt; 0.33 small,
&lt; 0.474 medium, else large) and Cohen's d (pooled SD). The study reported a Cohen's d under the name Cliff's
delta: both are reported here, correctly named. Labels: Fisher's exact test with the conditional MLE odds ratio.</li>
<li><b>Logistic regression</b> of closure on all features, standard errors clustered by repository; VIF per term.</li>
<li><b>Cox model</b> of time to close, open issues right-censored at the mining date, Efron ties, standard errors
clustered by repository; proportional hazards checked per term with scaled Schoenfeld residuals against the rank
of time.</li>
<li><b>Repository correlations</b> (Spearman and Pearson) over repositories with at least one closed issue;
<b>academia vs industry</b> with the rank-sum test, Cliff's delta and Cohen's d.</li>
</ul>
"""


@dataclass
class Report:
    html: str
    figures: dict[str, bytes] = field(default_factory=dict)  # name -> PNG

    def data_uri(self, name: str) -> str:
        return "data:image/png;base64," + base64.b64encode(self.figures[name]).decode()


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    return buffer.getvalue()


def _figure(width: float = 7.0, height: float = 4.0):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    return figure, figure.subplots()


def category_figure(categories: pd.DataFrame) -> bytes | None:
    shown = categories[categories["issues"] > 0].sort_values("share")
    if shown.empty:
        return None
    figure, axes = _figure(7, 0.35 * len(shown) + 1.2)
    error = [shown["share"] - shown["share_ci_low"], shown["share_ci_high"] - shown["share"]]
    axes.barh(shown["category"], shown["share"], xerr=error, color="#4c72b0", capsize=3)
    axes.set_xlabel("share of issues (95% Wilson interval)")
    axes.set_title(f"Issue categories (n = {int(shown['n'].iloc[0]):,})")
    return _png(figure)


def resolution_figure(labeled: pd.DataFrame) -> bytes | None:
    days = pd.to_numeric(labeled["resolution_days"], errors="coerce").dropna()
    if days.empty:
        return None
    figure, axes = _figure()
    bins = np.logspace(np.log10(max(days.min(), 1 / 1440)), np.log10(max(days.max(), 1)), 40)
    axes.hist(days.clip(lower=1 / 1440), bins=bins, color="#55a868")
    axes.set_xscale("log")
    axes.axvline(days.median(), color="black", linestyle="--", label=f"median {days.median():.1f} days")
    axes.set_xlabel("days from creation to closing (closed issues; log scale, below one minute shown at 1 min)")
    axes.set_ylabel("issues")
    axes.legend()
    return _png(figure)


def owner_figure(metrics: pd.DataFrame) -> bytes | None:
    rates = metrics.dropna(subset=["close_rate"])
    groups = [(owner, rates.loc[rates["owner_type"] == owner, "close_rate"].astype(float))
              for owner in ("academia", "industry")]
    groups = [(owner, values) for owner, values in groups if len(values)]
    if not groups:
        return None
    figure, axes = _figure(5, 4)
    axes.boxplot([values for _, values in groups], tick_labels=[f"{o}\n(n = {len(v)})" for o, v in groups])
    axes.set_ylabel("close rate per repository")
    axes.set_title("Close rate: academia vs industry")
    return _png(figure)


def forest_figure(regression: pd.DataFrame) -> bytes | None:
    logit = regression[(regression["model"] == "logit") & (regression["term"] != "intercept")].copy()
    for column in ("odds_ratio", "ci_low", "ci_high"):
        logit[column] = pd.to_numeric(logit[column], errors="coerce").astype(float)
    # Terms with an infinite or zero bound (separation) cannot be drawn on a log axis; the table lists them.
    logit = logit[np.isfinite(logit[["odds_ratio", "ci_low", "ci_high"]]).all(axis=1) & (logit["ci_low"] > 0)]
    if logit.empty:
        return None
    figure, axes = _figure(7, 0.4 * len(logit) + 1.2)
    y = np.arange(len(logit))[::-1]
    error = [logit["odds_ratio"] - logit["ci_low"], logit["ci_high"] - logit["odds_ratio"]]
    axes.errorbar(logit["odds_ratio"], y, xerr=error, fmt="o", color="#c44e52", capsize=3)
    axes.axvline(1, color="grey", linestyle=":")
    axes.set_yticks(y, logit["term"])
    axes.set_xscale("log")
    axes.set_xlabel("odds ratio of being closed (95% CI, clustered by repository; log scale)")
    return _png(figure)


def kaplan_meier_figure(labeled: pd.DataFrame, max_categories: int = 8) -> bytes | None:
    if labeled.empty or not labeled["closed"].astype(bool).any():
        return None
    time, event, usable = durations(labeled)
    figure, axes = _figure(7.5, 4.5)
    for category in labeled["category"].value_counts().index[:max_categories]:
        mask = usable & labeled["category"].eq(category)
        curve = kaplan_meier_curve(time[mask], event[mask])
        axes.step(curve["time"].clip(lower=1 / 24), curve["survival"], where="post",
                  label=f"{category} ({int(mask.sum())})")
    axes.set_xscale("log")
    axes.set_ylim(0, 1)
    axes.set_xlabel("days since the issue was opened (log scale)")
    axes.set_ylabel("share still open (Kaplan-Meier)")
    axes.set_title(f"Time to close by category (the {max_categories} largest; open issues censored)")
    axes.legend(fontsize="small")
    return _png(figure)


def _is_p_value(column: str) -> bool:
    return column.startswith("p_") or column.endswith("p_value")


def _is_fraction(column: str) -> bool:
    """Shares, rates and their interval bounds: always two decimals (1.00, not 1)."""
    return "rate" in column or "share" in column


def format_value(column: str, value: object, counts: bool = True) -> str:
    """A cell as a researcher would print it: counts with thousands separators, p-values to three decimals
    (``< 0.001`` below), other numbers to the two or three digits that carry their meaning. ``counts``:
    whole numbers of the column are counts (False for a statistic that happens to be 0 or 1 here)."""
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{value:,}"
    if isinstance(value, float | np.floating):
        value = float(value)
        if np.isinf(value):
            return "∞" if value > 0 else "−∞"
        if _is_p_value(column):
            return "< 0.001" if value < 0.001 else f"{value:.3f}"
        magnitude = abs(value)
        if _is_fraction(column):
            return f"{value:.2f}"
        if counts and value.is_integer() and magnitude < 1e15:
            return f"{value:,.0f}"
        if magnitude >= 100:
            return f"{value:,.0f}"
        if magnitude >= 10:
            return f"{value:.1f}"
        text = f"{value:.2f}"
        return "0.00" if text == "-0.00" else text
    return str(value)


def _table(frame: pd.DataFrame, columns: list[str] | None = None, rows: int | None = None,
           leave_out: pd.Series | None = None, left_out: str = "rows without data", more: str = "") -> str:
    """An HTML table that fits the page (a wide one scrolls inside its own box), its numbers rounded,
    its ``note`` column printed under it; ``leave_out`` marks rows that carry nothing (counted under the
    table); ``more`` says where the columns not shown are."""
    left = []
    if leave_out is not None and leave_out.any():
        key = frame.columns[0] if columns is None else columns[0]
        left = [str(v) for v in frame.loc[leave_out.to_numpy(), key]]
        frame = frame[~leave_out.to_numpy()]
    if rows is not None:
        frame = frame.head(rows)
    notes = [n for n in dict.fromkeys(frame["note"].dropna().astype(str)) if n.strip()] if "note" in frame else []
    shown = frame.reindex(columns=[c for c in (columns or frame.columns) if c in frame.columns and c != "note"])
    # A column no shown row fills (odds ratios of rank-sum rows, medians of Fisher rows) only widens the table.
    shown = shown.loc[:, [c for c in shown.columns if shown[c].notna().any() or c == shown.columns[0]]]
    if shown.empty:
        body = "<p><i>no rows</i></p>"
    else:
        numeric = {c: pd.api.types.is_numeric_dtype(shown[c]) and not pd.api.types.is_bool_dtype(shown[c])
                   for c in shown.columns}
        head = "".join(f"<th class='{'num' if numeric[c] else 'text'}'>{html.escape(c)}</th>" for c in shown.columns)
        # A float column is a count column when every value in it is whole (medians of counts, for instance).
        counts = {c: not pd.api.types.is_float_dtype(shown[c]) or bool((shown[c].dropna() % 1 == 0).all())
                  for c in shown.columns if numeric[c]}
        lines = ["".join(f"<td class='{'num' if numeric[c] else 'text'}'>"
                         f"{html.escape(format_value(c, v, counts.get(c, True)))}</td>"
                         for c, v in zip(shown.columns, row, strict=True))
                 for row in shown.itertuples(index=False, name=None)]
        body = ("<div class='table-box'><table class='table'><thead><tr>" + head + "</tr></thead><tbody>"
                + "".join(f"<tr>{line}</tr>" for line in lines) + "</tbody></table></div>")
    below = [html.escape(note) for note in notes]
    if left:
        below.append(f"{len(left)} {left_out} left out: {html.escape(', '.join(left))}.")
    if more:
        below.append(html.escape(more))
    return body + "".join(f"<p class='note'>{line}</p>" for line in below)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1150px; padding: 0 1em; color: #222;
       line-height: 1.4; }
.table-box { overflow-x: auto; max-width: 100%; margin-bottom: 0.4em; }
table.table { border-collapse: collapse; font-size: 0.85em; }
table.table th, table.table td { border-bottom: 1px solid #ddd; padding: 3px 8px; vertical-align: top; }
table.table th { background: #f3f3f3; white-space: nowrap; }
table.table .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.table .text { text-align: left; }
table.table td.text { max-width: 40em; }
img { max-width: 100%; margin: 0.5em 0 1.5em; }
.notes, .note { color: #555; font-size: 0.85em; margin: 0.2em 0 0.6em; max-width: 60em; }
nav.toc { background: #f7f7f7; padding: 0.4em 1.2em; display: inline-block; }
nav.toc ul { margin: 0.3em 0; padding-left: 1.2em; }
"""

# The columns each table shows in the report (every column stays in the warehouse table and its CSV).
_COLUMNS = {
    "category_distribution": ["category", "issues", "share", "share_ci_low", "share_ci_high", "close_rate",
                              "close_rate_ci_low", "close_rate_ci_high", "resolution_days_median", "km_median_days"],
    "closure_tests": ["feature", "test", "n_closed", "n_open", "median_closed", "median_open", "p_holm",
                      "cliffs_delta", "cliffs_magnitude", "cohens_d", "odds_ratio", "ci_low", "ci_high"],
    "logit": ["term", "coef", "odds_ratio", "ci_low", "ci_high", "p_value", "vif"],
    "cox": ["term", "coef", "hazard_ratio", "ci_low", "ci_high", "p_value", "ph_rho", "ph_p_value"],
    "owner_comparison": ["variable", "n_academia", "n_industry", "median_academia", "median_industry", "p_holm",
                         "cliffs_delta", "cliffs_magnitude", "cohens_d"],
    "repo_correlations": ["x", "y", "method", "coefficient", "p_holm", "n"],
    "repo_metrics": ["repo", "owner_type", "stars", "contributors", "issues", "open", "close_rate", "ignored_rate",
                     "self_closed_rate", "resolution_days_median", "label_rate", "assignee_rate"],
}


def _model_line(rows: pd.DataFrame) -> str:
    """The numbers of a whole model (the same on each of its rows), for the line under its table."""
    if rows.empty:
        return ""
    first = rows.iloc[0]
    parts = [f"{name} {format_value(name, first[name])}" for name in ("n", "n_excluded", "events", "clusters",
                                                                       "pseudo_r2") if pd.notna(first.get(name))]
    if "converged" in rows and pd.notna(first.get("converged")):
        parts.append("converged" if bool(first["converged"]) else "did not converge")
    return "; ".join(parts)


def render_report(tables: dict[str, pd.DataFrame], labeled: pd.DataFrame | None, title: str,
                  notes: list[str] | None = None) -> Report:
    """The report of the study tables (``labeled``, when given, adds the resolution and Kaplan-Meier figures)."""
    figures = {
        "categories": category_figure(tables["category_distribution"]),
        "resolution": resolution_figure(labeled) if labeled is not None else None,
        "close_rate_by_owner": owner_figure(tables["repo_metrics"]),
        "odds_ratios": forest_figure(tables["regression_table"]),
        "kaplan_meier": kaplan_meier_figure(labeled) if labeled is not None else None,
    }
    report = Report("", {name: png for name, png in figures.items() if png is not None})

    def image(name: str, alt: str) -> str:
        if name not in report.figures:
            return f"<p><i>{html.escape(alt)}: no data to plot</i></p>"
        return f'<img alt="{html.escape(alt)}" src="{report.data_uri(name)}">'

    regression = tables["regression_table"]
    tests = tables["closure_tests"]
    labels = tests["family"].eq("label") if "family" in tests else pd.Series(False, index=tests.index)
    logit, cox = (regression[regression["model"] == model] if "model" in regression else regression.iloc[0:0]
                  for model in ("logit", "cox"))
    metrics = tables["repo_metrics"]
    sections = [
        ("rq2", "RQ2: how issues are handled", [_table(tables["study_summary"],
                                                        ["metric", "value", "n", "definition"])]),
        ("rq1", "RQ1: what users ask", [image("categories", "category shares"),
                                        _table(tables["category_distribution"], _COLUMNS["category_distribution"])]),
        ("time", "Time to close", [image("resolution", "resolution time distribution"),
                                   image("kaplan_meier", "Kaplan-Meier curves by category")]),
        ("rq3", "RQ3: what goes with closure", [
            "<h3>Each feature, closed vs open issues</h3>",
            _table(tests[~labels], _COLUMNS["closure_tests"]),
            "<h3>Each label</h3>",
            _table(tests[labels], _COLUMNS["closure_tests"], leave_out=tests.loc[labels, "p_value"].isna(),
                   left_out="labels that no issue carries"),
        ]),
        ("models", "All features together", [
            image("odds_ratios", "odds-ratio forest plot"), "<h3>Closed or not (logit)</h3>",
            _table(logit, _COLUMNS["logit"], more=_model_line(logit)), "<h3>Time to close (Cox)</h3>",
            _table(cox, _COLUMNS["cox"], more=_model_line(cox)),
        ]),
        ("owners", "Academia vs industry", [image("close_rate_by_owner", "close rate academia vs industry"),
                                           _table(tables["owner_comparison"], _COLUMNS["owner_comparison"])]),
        ("correlations", "Repository correlations", [_table(tables["repo_correlations"],
                                                            _COLUMNS["repo_correlations"])]),
        ("repositories", "Largest repositories", [_table(
            metrics.sort_values("issues", ascending=False), _COLUMNS["repo_metrics"], rows=25,
            more=f"The {min(25, len(metrics))} with the most issues of {len(metrics):,}; every repository with all "
                 f"{len(metrics.columns)} columns is in the repo_metrics table (repo_metrics.csv).")]),
        ("methods", "Methods", [METHODS]),
    ]
    contents = "".join(f"<li><a href='#{anchor}'>{html.escape(heading)}</a></li>" for anchor, heading, _ in sections)
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='notes'>Generated {pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC.</p>",
        "".join(f"<p class='notes'>{html.escape(note)}</p>" for note in notes or []),
        f"<nav class='toc'><b>Contents</b><ul>{contents}</ul></nav>",
        *(f"<h2 id='{anchor}'>{html.escape(heading)}</h2>" + "".join(parts) for anchor, heading, parts in sections),
    ]
    report.html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                   f"<style>{_STYLE}</style></head><body>{''.join(body)}</body></html>")
    return report


def headline(metrics: pd.DataFrame, labeled: pd.DataFrame, regression: pd.DataFrame, classifier: str) -> str:
    """The headline numbers and tables, as text for a terminal (``issue-assets run`` and ``demo``);
    ``classifier`` names the classifier that labeled the issues."""
    if labeled.empty:
        return "No issues in the warehouse yet."
    closed = labeled["closed"].astype(bool)
    resolution = labeled.loc[closed, "resolution_days"]
    lines = [
        f"{len(metrics)} repositories ({int((metrics['issues'] == 0).sum())} without issues), {len(labeled)} issues: "
        f"{closed.mean():.1%} closed, median resolution {resolution.median():.1f} days "
        f"(mean {resolution.mean():.1f}); {labeled['has_label'].mean():.1%} labeled, "
        f"{labeled['has_assignee'].mean():.1%} assigned, {labeled['ignored'].mean():.1%} ignored."
    ]
    categories = labeled.groupby("category").agg(issues=("number", "size"), close_rate=("closed", "mean"),
                                                  median_days=("resolution_days", "median"))
    categories["share"] = categories["issues"] / len(labeled)
    categories = categories.sort_values("issues", ascending=False)[["issues", "share", "close_rate", "median_days"]]
    lines += ["", f"Issue categories ({classifier}):", categories.to_string(float_format=lambda v: f"{v:.3f}")]
    top = metrics.sort_values("issues", ascending=False).head(10)[
        ["repo", "issues", "close_rate", "ignored_rate", "resolution_days_median", "contributors", "stars"]]
    lines += ["", "Repositories with the most issues:", top.to_string(index=False, float_format=lambda v: f"{v:.2f}")]
    for model, ratio, title in (("logit", "odds_ratio", "Closure regression (logit"),
                                ("cox", "hazard_ratio", "Time to close (Cox, open issues censored")):
        rows = regression[regression["model"] == model] if "model" in regression else regression.iloc[0:0]
        if len(rows):
            shown = rows[["term", ratio, "ci_low", "ci_high", "p_value"]]
            lines += ["", f"{title}, SE clustered by repository, n = {rows['n'].iloc[0]}):",
                      shown.to_string(index=False, float_format=lambda v: f"{v:.3g}")]
    return "\n".join(lines)
