"""The study's annotation workflow: a sample sized for a confidence level and margin, coding sheets
for two coders, reading their codes back, and agreement (Cohen's kappa) between coders and with
the classifier.

- Sample size: Cochran's n0 = z² p (1 - p) / e² with p = 0.5 (the most conservative), corrected
  for a finite population N as n = n0 / (1 + (n0 - 1) / N), rounded to the nearest integer as the
  usual tables do: 384 at 95% ± 5% for a large population; 278 for N = 1,000; 377 for N = 20,000.
- Stratified random sample: the size is shared among strata (by default the predicted category)
  in proportion to their sizes (largest remainder; a stratum whose share rounds to zero still gets
  one, taken from the largest, while the size allows), then
  drawn without replacement with a fixed seed, so small categories are represented and a rerun
  draws the same issues.
- Agreement: Cohen's kappa with its 95% confidence interval (statsmodels' large-sample standard
  error), over the issues both sides coded; Landis & Koch's words for its size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from issue_assets.analysis.stats import Z_95, largest_remainder
from issue_assets.analysis.taxonomy import CATEGORIES

SHEET_COLUMNS = ["id", "repo", "number", "url", "title", "body", "category", "note"]
CODERS = ("coder_a", "coder_b")
_Z = {0.90: 1.6448536269514722, 0.95: Z_95, 0.99: 2.5758293035489004}


class CodingError(ValueError):
    """A coded sheet that cannot be read: missing columns, codes outside the taxonomy, repeated ids."""


def sample_size(population: int, confidence: float = 0.95, margin: float = 0.05, proportion: float = 0.5) -> int:
    """Cochran's sample size with the finite-population correction (at most the population)."""
    if population <= 0:
        return 0
    if not 0 < margin < 1 or not 0 < proportion < 1:
        raise ValueError(f"margin and proportion must lie in (0, 1), got {margin} and {proportion}")
    if confidence not in _Z:
        from scipy import stats

        if not 0 < confidence < 1:
            raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
        z = float(stats.norm.ppf(0.5 + confidence / 2))
    else:
        z = _Z[confidence]
    n0 = z * z * proportion * (1 - proportion) / (margin * margin)
    return min(population, round(n0 / (1 + (n0 - 1) / population)))


def stratified_sample(frame: pd.DataFrame, size: int, stratum: str = "category", seed: int = 0) -> pd.DataFrame:
    """``size`` rows drawn at random within strata, proportionally to the strata's sizes."""
    if size >= len(frame):
        return frame.copy()
    groups = frame.groupby(stratum, sort=True, dropna=False)
    names = list(groups.groups)
    sizes = [len(groups.get_group(name)) for name in names]
    quotas = largest_remainder(size, sizes, minimum=0)
    # Every stratum is represented while the size allows: a share that rounds to 0 takes one from the largest.
    for i in [i for i, quota in enumerate(quotas) if quota == 0 and sizes[i] > 0]:
        largest = max(range(len(quotas)), key=lambda j: quotas[j])
        if quotas[largest] > 1:
            quotas[largest] -= 1
            quotas[i] = 1
    rng = np.random.default_rng(seed)
    picked = []
    for name, quota in zip(names, quotas, strict=True):
        rows = groups.get_group(name)
        if quota:
            picked.append(rows.iloc[np.sort(rng.choice(len(rows), size=min(quota, len(rows)), replace=False))])
    return pd.concat(picked).sort_index() if picked else frame.iloc[0:0]


def issue_ids(frame: pd.DataFrame) -> pd.Series:
    """The id coders and the classifier share: ``owner/name#number``."""
    return frame["repo"].astype(str) + "#" + frame["number"].astype(str)


def coding_sheet(sample: pd.DataFrame) -> pd.DataFrame:
    """The sheet a coder fills in: the issue and empty ``category``/``note``. The classifier's guess is
    not on it: coders who see it tend to agree with it (anchoring)."""
    sheet = pd.DataFrame({
        "id": issue_ids(sample), "repo": sample["repo"], "number": sample["number"], "url": sample.get("html_url"),
        "title": sample.get("title"), "body": sample.get("body"), "category": "", "note": "",
    })
    return sheet.reindex(columns=SHEET_COLUMNS).reset_index(drop=True)


def read_codes(path: str | Path) -> pd.DataFrame:
    """A coded sheet as ``id, category, note`` (category lower-cased; empty: not coded yet, left out)."""
    path = Path(path)
    try:
        sheet = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CodingError(f"{path}: cannot read the coded sheet ({exc})") from None
    missing = [c for c in ("id", "category") if c not in sheet.columns]
    if missing:
        raise CodingError(f"{path}: missing column(s) {', '.join(missing)}")
    sheet["category"] = sheet["category"].str.strip().str.lower()
    coded = sheet[sheet["category"] != ""]
    unknown = coded[~coded["category"].isin(CATEGORIES)]
    if len(unknown):
        where = ", ".join(f"row {i + 2} ({c!r})" for i, c in unknown["category"].head(5).items())
        raise CodingError(f"{path}: {len(unknown)} code(s) not in the taxonomy: {where}; expected one of "
                          f"{', '.join(CATEGORIES)}")
    repeated = coded["id"][coded["id"].duplicated()]
    if len(repeated):
        raise CodingError(f"{path}: id(s) coded twice: {', '.join(repeated.head(5))}")
    note = coded.get("note", "")
    return pd.DataFrame({"id": coded["id"], "category": coded["category"], "note": note}).reset_index(drop=True)


@dataclass(frozen=True)
class Agreement:
    n: int
    observed: float  # share of issues with the same code
    kappa: float
    ci_low: float
    ci_high: float
    strength: str | None  # Landis & Koch

    def as_row(self) -> dict:
        return {"n": self.n, "observed": self.observed, "kappa": self.kappa, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "strength": self.strength}


def landis_koch(kappa: float) -> str | None:
    if kappa is None or math.isnan(kappa):
        return None
    for bound, word in ((0.0, "poor"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial")):
        if kappa <= bound:
            return word
    return "almost perfect"


def agreement(first: Sequence[str], second: Sequence[str]) -> Agreement:
    """Cohen's kappa of two codings of the same issues (pairs with a missing code are left out), with
    statsmodels' asymptotic 95% interval cut to kappa's range [-1, 1] (near perfect agreement the
    normal approximation reaches past 1)."""
    from statsmodels.stats.inter_rater import cohens_kappa

    pairs = pd.DataFrame({"a": list(first), "b": list(second)}).replace("", np.nan).dropna()
    n = len(pairs)
    if n == 0:
        return Agreement(0, math.nan, math.nan, math.nan, math.nan, None)
    observed = float((pairs["a"] == pairs["b"]).mean())
    labels = sorted(set(pairs["a"]) | set(pairs["b"]))
    if len(labels) == 1:  # one code everywhere: chance agreement is 1 and kappa undefined
        return Agreement(n, observed, math.nan, math.nan, math.nan, None)
    table = pd.crosstab(pd.Categorical(pairs["a"], labels), pd.Categorical(pairs["b"], labels), dropna=False)
    result = cohens_kappa(table.to_numpy())
    kappa = float(result.kappa)
    low, high = max(-1.0, float(result.kappa_low)), min(1.0, float(result.kappa_upp))
    return Agreement(n, observed, kappa, low, high, landis_koch(kappa))


def write_sheets(sample: pd.DataFrame, folder: str | Path, coders: Sequence[str] = CODERS) -> list[Path]:
    """One blank sheet per coder (same issues) and ``sample.csv`` (id, the classifier's category and
    confidence, for the agreement later). Refuses to overwrite a sheet that already holds codes."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for coder in coders:
        existing = folder / f"{coder}.csv"
        if existing.exists() and len(read_codes(existing)):
            raise CodingError(f"{existing} already holds {len(read_codes(existing))} codes: move it away (or code "
                              "into it) before drawing a new sample")
    sheet = coding_sheet(sample)
    written = []
    for coder in coders:
        path = folder / f"{coder}.csv"
        sheet.to_csv(path, index=False)
        written.append(path)
    key = pd.DataFrame({"id": issue_ids(sample), "predicted": sample.get("category"),
                        "confidence": sample.get("confidence")})
    key.to_csv(folder / "sample.csv", index=False)
    return [*written, folder / "sample.csv"]


AGREEMENT_COLUMNS = ["pair", "n", "observed", "kappa", "ci_low", "ci_high", "strength"]


def agreement_table(codes: dict[str, pd.DataFrame], predicted: pd.Series) -> pd.DataFrame:
    """Kappa between every two coders, each coder and the classifier, and the coders' consensus (the
    issues they coded alike) and the classifier. ``predicted`` maps id to the classifier's category."""
    rows = []
    names = list(codes)
    by_id = {name: frame.set_index("id")["category"] for name, frame in codes.items()}
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            both = by_id[first].index.intersection(by_id[second].index)
            rows.append({"pair": f"{first} vs {second}",
                         **agreement(by_id[first][both], by_id[second][both]).as_row()})
    for name in names:
        both = by_id[name].index.intersection(predicted.index)
        rows.append({"pair": f"{name} vs classifier", **agreement(by_id[name][both], predicted[both]).as_row()})
    if len(names) >= 2:
        joined = pd.concat([by_id[name] for name in names], axis=1, join="inner")
        consensus = joined[joined.nunique(axis=1) == 1].iloc[:, 0]
        both = consensus.index.intersection(predicted.index)
        rows.append({"pair": "consensus vs classifier", **agreement(consensus[both], predicted[both]).as_row()})
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def consensus_codes(codes: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``id, category`` of the issues every coder coded alike (one coder: that coder's codes)."""
    frames = [frame.set_index("id")["category"].rename(name) for name, frame in codes.items() if len(frame)]
    if not frames:
        return pd.DataFrame(columns=["id", "category"])
    joined = pd.concat(frames, axis=1, join="inner")
    agreed = joined[joined.nunique(axis=1) == 1].iloc[:, 0]
    return agreed.rename("category").rename_axis("id").reset_index()
