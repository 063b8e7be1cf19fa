"""The annotation workflow: sample size, stratified sample, coding sheets, codes, agreement."""

import math

import pandas as pd
import pytest

from issue_assets.analysis.annotation import (
    CodingError,
    agreement,
    coding_sheet,
    landis_koch,
    read_codes,
    sample_size,
    stratified_sample,
)


@pytest.mark.parametrize(("population", "expected"), [
    (10**9, 384), (1_000, 278), (5_000, 357), (20_000, 377), (24_953, 378), (100, 80), (10, 10), (0, 0)])
def test_sample_size_follows_cochran_with_the_finite_population_correction(population, expected):
    assert sample_size(population) == expected


def test_sample_size_other_levels_and_bad_arguments():
    # 99% ± 5%: 2.5758² / 4 / 0.0025 = 663.5 for a large population.
    assert sample_size(10**9, confidence=0.99) == 663
    assert sample_size(10**9, confidence=0.95, margin=0.03) == 1067
    assert sample_size(10**9, confidence=0.8) == round(1.2815515655446004**2 / 4 / 0.0025)
    with pytest.raises(ValueError, match="margin"):
        sample_size(100, margin=0)
    with pytest.raises(ValueError, match="confidence"):
        sample_size(100, confidence=1.5)


def _issues():
    sizes = {"runtime_error": 600, "unclear_instructions": 300, "data": 90, "code_release": 10}
    rows = [{"id": f"{category}-{i}", "repo": "o/r", "number": n, "category": category, "title": "t", "body": "b"}
            for n, (category, i) in enumerate((c, i) for c, k in sizes.items() for i in range(k))]
    return pd.DataFrame(rows)


def test_stratified_sample_is_proportional_reproducible_and_without_repeats():
    issues = _issues()
    sample = stratified_sample(issues, 100, seed=3)
    counts = sample["category"].value_counts().to_dict()
    assert counts == {"runtime_error": 60, "unclear_instructions": 30, "data": 9, "code_release": 1}
    assert sample["id"].is_unique and len(sample) == 100
    assert sample["id"].tolist() == stratified_sample(issues, 100, seed=3)["id"].tolist()
    assert sample["id"].tolist() != stratified_sample(issues, 100, seed=4)["id"].tolist()
    # A small stratum is represented even when its proportional share rounds to zero.
    assert "code_release" in set(stratified_sample(issues, 20, seed=1)["category"])
    assert len(stratified_sample(issues, 5000)) == len(issues)


def test_coding_sheet_leaves_the_code_empty_and_hides_the_guess():
    sheet = coding_sheet(_issues().head(3).assign(html_url="https://github.com/o/r/issues/1"))
    assert list(sheet.columns) == ["id", "repo", "number", "url", "title", "body", "category", "note"]
    assert (sheet["category"] == "").all() and sheet["id"].tolist() == ["o/r#0", "o/r#1", "o/r#2"]
    assert "runtime_error" not in sheet.to_csv()


def test_read_codes_validates_and_skips_uncoded_rows(tmp_path):
    path = tmp_path / "coder_a.csv"
    pd.DataFrame({"id": ["1", "2", "3"], "category": [" Runtime_Error", "", "data"], "note": ["", "", "x"]}).to_csv(
        path, index=False)
    codes = read_codes(path)
    assert codes["id"].tolist() == ["1", "3"] and codes["category"].tolist() == ["runtime_error", "data"]
    pd.DataFrame({"id": ["1", "2"], "category": ["bug", "data"]}).to_csv(path, index=False)
    with pytest.raises(CodingError, match=r"not in the taxonomy: row 2 \('bug'\)"):
        read_codes(path)
    pd.DataFrame({"id": ["1", "1"], "category": ["data", "data"]}).to_csv(path, index=False)
    with pytest.raises(CodingError, match="coded twice: 1"):
        read_codes(path)
    pd.DataFrame({"id": ["1"]}).to_csv(path, index=False)
    with pytest.raises(CodingError, match="missing column"):
        read_codes(path)


def test_agreement_by_hand():
    # 2x2 table [[20, 5], [10, 15]]: observed 0.7, chance 0.5, kappa 0.4.
    first = ["a"] * 25 + ["b"] * 25
    second = ["a"] * 20 + ["b"] * 5 + ["a"] * 10 + ["b"] * 15
    result = agreement(first, second)
    assert (result.n, result.observed, result.kappa) == (50, 0.7, pytest.approx(0.4))
    assert result.ci_low < 0.4 < result.ci_high and result.strength == "fair"
    perfect = agreement(["x", "y", "z"], ["x", "y", "z"])
    assert perfect.kappa == pytest.approx(1.0) and perfect.strength == "almost perfect"
    # 39 of 40 alike: the normal approximation's upper bound passes 1; kappa cannot.
    near = agreement(["a"] * 20 + ["b"] * 20, ["a"] * 20 + ["b"] * 19 + ["a"])
    assert near.kappa == pytest.approx(0.95) and near.ci_high == 1.0 and -1.0 <= near.ci_low < 0.95


def test_agreement_edges():
    assert agreement([], []).n == 0
    same = agreement(["a", "a"], ["a", "a"])
    assert same.observed == 1.0 and math.isnan(same.kappa)
    partial = agreement(["a", "b", "", "a"], ["a", "b", "a", None])
    assert partial.n == 2
    assert [landis_koch(k) for k in (-0.1, 0.1, 0.3, 0.5, 0.7, 0.9)] == [
        "poor", "slight", "fair", "moderate", "substantial", "almost perfect"]


def test_write_sheets_never_overwrites_codes(tmp_path):
    from issue_assets.analysis.annotation import write_sheets

    sample = _issues().head(4).assign(confidence=0.5)
    paths = write_sheets(sample, tmp_path)
    assert sorted(p.name for p in paths) == ["coder_a.csv", "coder_b.csv", "sample.csv"]
    sheet = pd.read_csv(tmp_path / "coder_a.csv", dtype=str, keep_default_na=False)
    sheet.loc[0, "category"] = "data"
    sheet.to_csv(tmp_path / "coder_a.csv", index=False)
    with pytest.raises(CodingError, match="already holds 1 codes"):
        write_sheets(sample, tmp_path)
    assert read_codes(tmp_path / "coder_a.csv")["category"].tolist() == ["data"]


def test_agreement_table_between_coders_and_with_the_classifier():
    from issue_assets.analysis.annotation import agreement_table

    ids = [f"o/r#{i}" for i in range(6)]
    a = pd.DataFrame({"id": ids, "category": ["data", "data", "code_bug", "code_bug", "data", "other"]})
    b = pd.DataFrame({"id": ids[:5], "category": ["data", "data", "code_bug", "data", "data"]})
    predicted = pd.Series(["data", "code_bug", "code_bug", "code_bug", "data", "other"], index=ids)
    table = agreement_table({"coder_a": a, "coder_b": b}, predicted).set_index("pair")
    assert list(table.index) == ["coder_a vs coder_b", "coder_a vs classifier", "coder_b vs classifier",
                                 "consensus vs classifier"]
    assert table.loc["coder_a vs coder_b", "n"] == 5 and table.loc["coder_a vs coder_b", "observed"] == 0.8
    assert table.loc["coder_a vs classifier", "n"] == 6
    assert table.loc["consensus vs classifier", "n"] == 4  # the four issues both coders coded alike


def test_hand_codes_are_taxonomy_ids_with_the_documented_split():
    import hashlib
    from pathlib import Path

    from issue_assets.analysis.taxonomy import CATEGORIES

    codes = pd.read_csv(Path(__file__).resolve().parents[1] / "annotations" / "hand_codes.csv", dtype=str)
    assert list(codes.columns) == ["id", "repo", "number", "category", "split"]
    assert codes["id"].is_unique and set(codes["category"]) <= set(CATEGORIES)
    digests = codes["id"].map(lambda i: hashlib.sha1(i.encode()).hexdigest())
    # Coded in SHA-1 order (the sample is a prefix of it); held-out means a last hex digit of 0-4.
    assert digests.tolist() == sorted(digests)
    expected = digests.str[-1].map(lambda c: "heldout" if int(c, 16) < 5 else "dev")
    assert (codes["split"] == expected).all()
    # The blind re-coding covers dev issues only: held-out codes are never looked at again.
    retest = pd.read_csv(Path(__file__).resolve().parents[1] / "annotations" / "retest_codes.csv", dtype=str)
    assert list(retest.columns) == ["id", "category"] and retest["id"].is_unique
    assert set(retest["category"]) <= set(CATEGORIES)
    assert set(retest["id"]) <= set(codes.loc[codes["split"] == "dev", "id"])


def test_consensus_codes_keep_what_every_coder_coded_alike():
    from issue_assets.analysis.annotation import consensus_codes

    a = pd.DataFrame({"id": ["1", "2", "3"], "category": ["data", "other", "data"]})
    b = pd.DataFrame({"id": ["1", "2"], "category": ["data", "code_bug"]})
    assert consensus_codes({"a": a, "b": b}).to_dict("records") == [{"id": "1", "category": "data"}]
    assert len(consensus_codes({"a": a})) == 3  # one coder: that coder's codes
    assert consensus_codes({}).empty and consensus_codes({"a": a.iloc[0:0]}).empty
