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
    consensus_codes,
    issue_ids,
    read_codes,
    sample_size,
    stratified_sample,
    write_sheets,
)
from issue_assets.analysis.classifier import default_model
from issue_assets.analysis.project_model import compare_with_default
from issue_assets.defs.markdown import preview, stored_table
from issue_assets.defs.tables import OWNERS, study_tags, table_metadata
from issue_assets.warehouse import Warehouse


def coded_sheets() -> dict:
    folder = paths.annotation_dir()
    return {coder: read_codes(folder / f"{coder}.csv") for coder in CODERS if (folder / f"{coder}.csv").exists()}


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
    owners=OWNERS,
    tags=study_tags("rq1"),
    description=(
        "RQ1's hand coding (checking the categories): a stratified random sample of the labeled issues for hand "
        "coding, sized for the configured confidence and margin (Cochran, finite-population corrected: 384 at 95% ± "
        "5% for a large population). Writes one blank sheet per coder (the classifier's guess is not shown) and "
        "sample.csv under ISSUE_ASSETS_HOME/annotation; never overwrites a sheet that already holds codes."
    ),
)
def annotation_sample(context: dg.AssetExecutionContext, config: SampleConfig,
                      warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    issues = warehouse.issues_to_code()
    if config.stratum not in issues.columns:
        raise dg.Failure(f"stratum {config.stratum!r} is not a column of the sample; use one of "
                         f"{', '.join(issues.columns)}")
    size = sample_size(len(issues), config.confidence, config.margin)
    sample = stratified_sample(issues, size, config.stratum, config.seed)
    written = write_sheets(sample, paths.annotation_dir())
    strata = sample[config.stratum].value_counts().rename_axis(config.stratum).reset_index(name="sampled")
    return dg.MaterializeResult(metadata={
        "population": len(issues),
        "sample_size": len(sample),
        "folder": dg.MetadataValue.path(str(paths.annotation_dir())),
        "sheets": ", ".join(path.name for path in written),
        "strata": dg.MetadataValue.md(strata.to_markdown(index=False)),
    })


@dg.asset(
    deps=["annotation_sample", "labeled_issues"],
    group_name="annotation",
    kinds={"duckdb", "statsmodels"},
    pool="duckdb",
    owners=OWNERS,
    tags=study_tags("rq1"),
    metadata=table_metadata("annotation_agreement"),
    description=(
        "RQ1's hand coding, how far the categories can be trusted: Cohen's kappa (95% CI, Landis & Koch strength) "
        "between the coders, each coder and the classifier, and the coders' consensus and the classifier, from the "
        "coded sheets under ISSUE_ASSETS_HOME/annotation."
    ),
)
def annotation_agreement(context: dg.AssetExecutionContext,
                         warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    folder = paths.annotation_dir()
    codes = coded_sheets()
    labeled = warehouse.columns("labeled_issues", ["repo", "number", "category"])
    table = agreement_table(codes, labeled.set_index(issue_ids(labeled))["category"])
    coded = {coder: len(frame) for coder, frame in codes.items()}
    if not any(coded.values()):
        context.log.warning(f"no codes yet: fill in the category column of the sheets in {folder}")
    return stored_table(warehouse, "annotation_agreement", table, coded=dg.MetadataValue.json(coded),
                        agreement=preview(table, rows=len(table)))


@dg.asset(
    deps=["annotation_agreement", "raw_issues"],
    group_name="annotation",
    kinds={"scikitlearn"},
    pool="duckdb",
    owners=OWNERS,
    tags=study_tags("rq1"),
    description=(
        "RQ1's categories from the project's own codes: a classifier trained on this project's own coded issues (the "
        "coders' consensus; one coder's codes when only one sheet is coded), compared by 5-fold cross-validation with "
        "the shipped classifier on the same issues. It is written to ISSUE_ASSETS_HOME/models/project_classifier.npz, "
        "and then labels labeled_issues, only when its cross-validated macro-F1 is higher; otherwise the shipped one "
        "stays."
    ),
)
def project_classifier(context: dg.AssetExecutionContext,
                       warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    codes = consensus_codes(coded_sheets())
    issues = warehouse.listed_issues(["repo", "number", "title", "body"])
    issues["id"] = issue_ids(issues)
    coded = codes.merge(issues, on="id", how="inner")
    path = paths.project_classifier_path()
    if len(coded) < len(codes):
        context.log.warning(f"{len(codes) - len(coded)} coded ids are not issues of the listed repositories")
    comparison, model = compare_with_default(coded["title"].fillna(""), coded["body"].fillna(""),
                                             coded["category"], default_model())
    if model is not None and comparison.project_is_better:
        model.save(path)
    elif path.exists():
        path.unlink()  # an older project model no longer beats the shipped one on the current codes
    return dg.MaterializeResult(metadata={
        **comparison.as_metadata(),
        "model_path": dg.MetadataValue.path(str(path)) if path.exists() else "none: the shipped classifier labels",
    })
