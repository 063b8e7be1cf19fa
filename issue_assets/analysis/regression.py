"""Logistic regression of closure on issue features (statsmodels).

Model: ``closed ~ has_label + has_assignee + log1p(title_length) + log1p(body_length) +
has_code_block + has_url + english_title + sentiment_body + log1p(repo_contributors)``, fitted by
maximum likelihood, with standard errors clustered by repository (issues of one repository are
not independent). Rows missing a term's value are left out and counted in ``n_excluded``; a term
with no variation is left out of the model and named in ``note``. Coefficients are on the
log-odds scale; ``odds_ratio`` and its 95% CI are their exponentials.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

TERMS: dict[str, str] = {
    "has_label": "has_label",
    "has_assignee": "has_assignee",
    "log_title_length": "title_length",
    "log_body_length": "body_length",
    "has_code_block": "has_code_block",
    "has_url": "has_url",
    "english_title": "english_title",
    "sentiment_body": "sentiment_body",
    "log_repo_contributors": "repo_contributors",
}
REGRESSION_COLUMNS = [
    "term", "coef", "std_err", "z", "p_value", "odds_ratio", "ci_low", "ci_high", "n", "n_excluded", "events",
    "clusters", "pseudo_r2", "converged", "note",
]
MIN_ROWS = 30


def _design(labeled: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, pd.Series, int]:
    x = pd.DataFrame(index=labeled.index)
    for term, column in TERMS.items():
        values = pd.to_numeric(labeled[column].astype("Float64"), errors="coerce").astype(float)
        x[term] = np.log1p(values) if term.startswith("log_") else values
    complete = x.notna().all(axis=1)
    return x[complete], labeled.loc[complete, "closed"].astype(float), labeled.loc[complete, "repo"], \
        int((~complete).sum())


def _failed(note: str, n: int, excluded: int) -> pd.DataFrame:
    row = dict.fromkeys(REGRESSION_COLUMNS)
    row.update(term="(model not fitted)", n=n, n_excluded=excluded, converged=False, note=note)
    return pd.DataFrame([row], columns=REGRESSION_COLUMNS)


def closure_regression(labeled: pd.DataFrame) -> pd.DataFrame:
    """One row per term (intercept first); a single explanatory row when the model cannot be fitted."""
    import statsmodels.api as sm

    if labeled.empty:
        return _failed("no issues", 0, 0)
    x, y, groups, excluded = _design(labeled)
    n = len(y)
    if n < MIN_ROWS:
        return _failed(f"{n} complete rows: fewer than {MIN_ROWS}", n, excluded)
    if y.nunique() < 2:
        return _failed("every issue has the same state: closure cannot be modelled", n, excluded)
    constant = [term for term in x.columns if x[term].nunique() < 2]
    x = x.drop(columns=constant)
    notes = [f"left out (no variation): {', '.join(constant)}"] if constant else []
    design = sm.add_constant(x, has_constant="add")
    codes = pd.factorize(groups)[0]
    clustered = len(np.unique(codes)) >= 2
    if not clustered:
        notes.append("one repository: ordinary (not clustered) standard errors")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = sm.Logit(y, design)
            result = model.fit(disp=False, maxiter=200, cov_type="cluster" if clustered else "nonrobust",
                               cov_kwds={"groups": codes} if clustered else None)
        except (np.linalg.LinAlgError, ValueError) as exc:  # perfect separation, singular design
            return _failed(f"fit failed: {exc}", n, excluded)
    notes += sorted({str(w.message).splitlines()[0] for w in caught})
    ci = result.conf_int()
    table = pd.DataFrame({
        "term": design.columns,
        "coef": result.params.to_numpy(),
        "std_err": result.bse.to_numpy(),
        "z": result.tvalues.to_numpy(),
        "p_value": result.pvalues.to_numpy(),
        "odds_ratio": np.exp(result.params.to_numpy()),
        "ci_low": np.exp(ci[0].to_numpy()),
        "ci_high": np.exp(ci[1].to_numpy()),
    })
    table["term"] = table["term"].replace({"const": "intercept"})
    table["n"] = n
    table["n_excluded"] = excluded
    table["events"] = int(y.sum())
    table["clusters"] = len(np.unique(codes))
    table["pseudo_r2"] = float(result.prsquared)
    table["converged"] = bool(result.mle_retvals.get("converged", False))
    table["note"] = "; ".join(notes) or None
    return table.reindex(columns=REGRESSION_COLUMNS)
