"""The annotation workflow of the study: a sample for two coders, and their agreement.

Materialized by hand from the UI (no automation): drawing a sample is a decision, and coded sheets
are never overwritten.
"""

import dagster as dg
from pydantic import Field

from issue_assets import paths
from issue_assets.analysis.annotation import (
    CODERS,
    agreement_table,
    read_codes,
    sample_size,
    stratified_sample,
    write_sheets,
)
from issue_assets.defs.analysis import LISTED_ISSUES_SQL
from issue_assets.defs.markdown import preview
from issue_assets.defs.resources import WarehouseResource

SAMPLE_SQL = f"""
    SELECT l.repo, l.number, l.category, l.confidence, r.title, r.body, r.html_url
    FROM labeled_issues l JOIN ({LISTED_ISSUES_SQL}) r USING (repo, number)
    ORDER BY l.repo, l.number
"""


def annotation_folder():
    return paths.home() / "annotation"


class SampleConfig(dg.Config):
    confidence: float = Field(default=0.95, description="confidence level of the sample size")
    margin: float = Field(default=0.05, description="margin of error of a share estimated from the sample")
    seed: int = Field(default=0, description="random seed: the same seed draws the same issues")
    stratum: str = Field(default="category", description="column of labeled_issues to stratify on")


@dg.asset(
    deps=["labeled_issues", "raw_issues"],
    group_name="annotation",
    kinds={"csv"},
    pool="duckdb",
    description=(
        "A stratified random sample of the labeled issues for hand coding, sized for the configured confidence and "
        "margin (Cochran, finite-population corrected: 384 at 95% ± 5% for a large population). Writes one blank "
        "sheet per coder (the classifier's guess is not shown) and sample.csv under ISSUE_ASSETS_HOME/annotation; "
        "never overwrites a sheet that already holds codes."
    ),
)
def annotation_sample(context: dg.AssetExecutionContext, config: SampleConfig,
                      warehouse: WarehouseResource) -> dg.MaterializeResult:
    issues = warehouse.get().read(SAMPLE_SQL)
    if config.stratum not in issues.columns:
        raise dg.Failure(f"stratum {config.stratum!r} is not a column of the sample; use one of "
                         f"{', '.join(issues.columns)}")
    size = sample_size(len(issues), config.confidence, config.margin)
    sample = stratified_sample(issues, size, config.stratum, config.seed)
    written = write_sheets(sample, annotation_folder())
    strata = sample[config.stratum].value_counts().rename_axis(config.stratum).reset_index(name="sampled")
    return dg.MaterializeResult(metadata={
        "population": len(issues),
        "sample_size": len(sample),
        "folder": dg.MetadataValue.path(str(annotation_folder())),
        "sheets": ", ".join(path.name for path in written),
        "strata": dg.MetadataValue.md(strata.to_markdown(index=False)),
    })


@dg.asset(
    deps=["annotation_sample", "labeled_issues"],
    group_name="annotation",
    kinds={"duckdb", "statsmodels"},
    pool="duckdb",
    description=(
        "Cohen's kappa (95% CI, Landis & Koch strength) between the coders, each coder and the classifier, and the "
        "coders' consensus and the classifier, from the coded sheets under ISSUE_ASSETS_HOME/annotation."
    ),
)
def annotation_agreement(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    folder = annotation_folder()
    codes = {coder: read_codes(folder / f"{coder}.csv") for coder in CODERS if (folder / f"{coder}.csv").exists()}
    store = warehouse.get()
    labeled = store.read("SELECT repo, number, category FROM labeled_issues")
    predicted = labeled.set_index(labeled["repo"] + "#" + labeled["number"].astype(str))["category"]
    table = agreement_table(codes, predicted)
    store.replace_table("annotation_agreement", table)
    coded = {coder: len(frame) for coder, frame in codes.items()}
    if not any(coded.values()):
        context.log.warning(f"no codes yet: fill in the category column of the sheets in {folder}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(table),
        "coded": dg.MetadataValue.json(coded),
        "agreement": preview(table, rows=len(table)),
    })
