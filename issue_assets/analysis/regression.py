"""Multivariable models of closure (statsmodels): which issue features go with closing, all at once.

Both models use every closure feature together (``CLOSURE_FEATURES``): counts and lengths enter as
``log1p`` (their distributions are long-tailed), booleans as 0/1, sentiment as its score in [-1, 1].

- ``logit``: logistic regression of ``closed``, fitted by maximum likelihood, standard errors
  clustered by repository (issues of one repository are not independent). ``odds_ratio`` and its
  95% CI are the exponentials of the coefficient and its interval; ``pseudo_r2`` is McFadden's;
  ``vif`` is each term's variance inflation factor (above 5 to 10: the term shares most of its
  information with others, so its own coefficient is unstable, though the model's fit is not).
- ``cox``: proportional-hazards model of time to close with open issues right-censored at the
  mining date (see ``survival``). ``hazard_ratio`` above 1: closed sooner. ``ph_rho`` and
  ``ph_p_value`` check the proportional-hazards assumption per term.

Rows missing a term's value are left out and counted in ``n_excluded``. A term without variation,
or one that is an exact linear combination of earlier terms (say ``log1p(n_labels)`` when no issue
has two labels), is left out of the model and named in ``note``. When a model cannot be fitted at
all the table holds one row that says why.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from issue_assets.analysis.features import CLOSURE_FEATURES
from issue_assets.analysis.stats import Z_95
from issue_assets.analysis.survival import PH_ALPHA, durations, fit_cox, proportional_hazards_test

LOG_FEATURES = {"n_labels", "n_assignees", "title_length", "body_length", "body_lines", "repo_contributors"}
TERMS: dict[str, str] = {(f"log_{c}" if c in LOG_FEATURES else c): c for c in CLOSURE_FEATURES}
REGRESSION_COLUMNS = [
    "model", "term", "coef", "std_err", "z", "p_value", "odds_ratio", "hazard_ratio", "ci_low", "ci_high", "vif",
    "ph_rho", "ph_p_value", "n", "n_excluded", "events", "clusters", "pseudo_r2", "converged", "note",
]
MIN_ROWS = 30


@dataclass
class Design:
    x: pd.DataFrame  # complete rows, usable terms
    rows: pd.Index  # labels of the complete rows in the input
    excluded: int  # rows left out for a missing value
    notes: list[str] = field(default_factory=list)


def design_matrix(labeled: pd.DataFrame, usable: pd.Series | None = None) -> Design:
    """The model terms of the rows with every value present (and ``usable``), without the constant."""
    x = pd.DataFrame(index=labeled.index)
    for term, column in TERMS.items():
        values = pd.to_numeric(labeled[column].astype("Float64"), errors="coerce").astype(float)
        x[term] = np.log1p(values) if term.startswith("log_") else values
    complete = x.notna().all(axis=1)
    if usable is not None:
        complete &= usable
    x = x[complete]
    notes = []
    constant = [term for term in x.columns if x[term].nunique() < 2]
    if constant:
        notes.append(f"left out (no variation): {', '.join(constant)}")
    kept: list[str] = []
    collinear = []
    for term in x.columns.drop(constant):
        candidate = np.column_stack([np.ones(len(x)), x[[*kept, term]].to_numpy(float)])
        if np.linalg.matrix_rank(candidate) == candidate.shape[1]:
            kept.append(term)
        else:
            collinear.append(term)
    if collinear:
        notes.append(f"left out (linear combination of other terms): {', '.join(collinear)}")
    return Design(x[kept], x.index, int((~complete).sum()), notes)


def _failed(model: str, note: str, n: int, excluded: int) -> pd.DataFrame:
    row = dict.fromkeys(REGRESSION_COLUMNS)
    row.update(model=model, term="(model not fitted)", n=n, n_excluded=excluded, converged=False, note=note)
    return pd.DataFrame([row], columns=REGRESSION_COLUMNS)


def _cannot_fit(design: Design, events: pd.Series) -> str | None:
    n = len(design.x)
    if n < MIN_ROWS:
        return f"{n} complete rows: fewer than {MIN_ROWS}"
    if events.nunique() < 2:
        return "every issue has the same state: closure cannot be modelled"
    if design.x.empty:
        return "no term varies"
    return None


def _clusters(labeled: pd.DataFrame, design: Design) -> tuple[np.ndarray, bool, list[str]]:
    """Repository codes of the model's rows, whether to cluster on them, and the notes so far."""
    codes = pd.factorize(labeled.loc[design.rows, "repo"])[0]
    clustered = len(np.unique(codes)) >= 2
    notes = list(design.notes)
    if not clustered:
        notes.append("one repository: model-based (not clustered) standard errors")
    return codes, clustered, notes


def _vif(design: pd.DataFrame) -> list[float]:
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    matrix = design.to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return [np.nan] + [float(variance_inflation_factor(matrix, i)) for i in range(1, matrix.shape[1])]


def closure_regression(labeled: pd.DataFrame) -> pd.DataFrame:
    """Logit of ``closed``: intercept first, then one row per term; one explanatory row when unfittable."""
    import statsmodels.api as sm

    if labeled.empty:
        return _failed("logit", "no issues", 0, 0)
    design = design_matrix(labeled)
    y = labeled.loc[design.rows, "closed"].astype(float)
    reason = _cannot_fit(design, y)
    if reason:
        return _failed("logit", reason, len(y), design.excluded)
    x = sm.add_constant(design.x, has_constant="add")
    codes, clustered, notes = _clusters(labeled, design)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = sm.Logit(y, x).fit(disp=False, maxiter=200, cov_type="cluster" if clustered else "nonrobust",
                                        cov_kwds={"groups": codes} if clustered else None)
        except (np.linalg.LinAlgError, ValueError) as exc:  # perfect separation, singular design
            return _failed("logit", f"fit failed: {exc}", len(y), design.excluded)
    notes += sorted({str(w.message).splitlines()[0] for w in caught})
    ci = result.conf_int()
    with np.errstate(over="ignore"):  # an odds ratio beyond 1e308 is inf: separation, named in the note
        table = pd.DataFrame({
            "model": "logit",
            "term": ["intercept", *design.x.columns],
            "coef": result.params.to_numpy(),
            "std_err": result.bse.to_numpy(),
            "z": result.tvalues.to_numpy(),
            "p_value": result.pvalues.to_numpy(),
            "odds_ratio": np.exp(result.params.to_numpy()),
            "ci_low": np.exp(ci[0].to_numpy()),
            "ci_high": np.exp(ci[1].to_numpy()),
            "vif": _vif(x),
        })
    table["n"] = len(y)
    table["n_excluded"] = design.excluded
    table["events"] = int(y.sum())
    table["clusters"] = len(np.unique(codes))
    table["pseudo_r2"] = float(result.prsquared)
    table["converged"] = bool(result.mle_retvals.get("converged", False))
    table["note"] = "; ".join(notes) or None
    return table.reindex(columns=REGRESSION_COLUMNS)


def closure_hazards(labeled: pd.DataFrame) -> pd.DataFrame:
    """Cox model of time to close (open issues censored): one row per term; one explanatory row when unfittable."""
    if labeled.empty:
        return _failed("cox", "no issues", 0, 0)
    time, event, usable = durations(labeled)
    design = design_matrix(labeled, usable)
    t, e = time[design.rows].to_numpy(float), event[design.rows]
    reason = _cannot_fit(design, e)
    if reason:
        return _failed("cox", reason, len(t), design.excluded)
    codes, clustered, notes = _clusters(labeled, design)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fit_cox(t, e.to_numpy(), design.x, codes if clustered else None)
            ph = proportional_hazards_test(result, t, e.to_numpy())
        except (np.linalg.LinAlgError, ValueError) as exc:
            return _failed("cox", f"fit failed: {exc}", len(t), design.excluded)
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    notes += sorted({str(w.message).splitlines()[0] for w in caught if not issubclass(w.category, RuntimeWarning)})
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    with np.errstate(invalid="ignore", over="ignore"):
        params, bse = np.asarray(result.params), np.asarray(result.bse)
    if np.isnan(bse).any():
        notes.append("some standard errors are undefined (covariance not positive definite: separation?)")
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):  # infinite bounds: separation, noted
        table = pd.DataFrame({
            "model": "cox",
            "term": list(design.x.columns),
            "coef": params,
            "std_err": bse,
            "z": params / bse,
            "p_value": np.asarray(result.pvalues),
            "hazard_ratio": np.exp(params),
            "ci_low": np.exp(params - Z_95 * bse),
            "ci_high": np.exp(params + Z_95 * bse),
            "ph_rho": ph["ph_rho"].to_numpy(),
            "ph_p_value": ph["ph_p_value"].to_numpy(),
        })
    table["n"] = len(t)
    table["n_excluded"] = design.excluded
    table["events"] = int(e.sum())
    table["clusters"] = len(np.unique(codes))
    table["converged"] = converged and bool(np.isfinite(params).all())
    violated = table["ph_p_value"] < PH_ALPHA
    term_notes = np.where(violated, "proportional hazards rejected: the effect changes over time, the hazard "
                                    "ratio averages it over follow-up", None)
    model_note = "; ".join(notes) or None
    table["note"] = ["; ".join(filter(None, [model_note, term_note])) or None for term_note in term_notes]
    return table.reindex(columns=REGRESSION_COLUMNS)


def regression_table(labeled: pd.DataFrame) -> pd.DataFrame:
    """The logit rows, then the Cox rows."""
    return pd.concat([closure_regression(labeled), closure_hazards(labeled)], ignore_index=True)
