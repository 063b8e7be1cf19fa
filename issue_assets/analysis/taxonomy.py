"""The 13 issue categories of the codebook (``shared/taxonomy.md``): the primary reason a reporter
opened an issue. The ids are a contract (tables, coded sheets and models store them); names and
descriptions are the codebook's, for tables and the UI."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    description: str  # "the reporter opened the issue because…"


TAXONOMY: tuple[Category, ...] = (
    Category("runtime_error", "Runtime error",
             "running the code (train, test, demo, eval, inference) crashed or printed an error: exception, "
             "traceback, assertion, CUDA error, out-of-memory crash, shape mismatch, NaN error."),
    Category("unclear_instructions", "Unclear instructions",
             "they do not know how to use the repository: how to run train/test/demo, which arguments or config, "
             "how to apply it to their own data, how to get some output. No error is the main content."),
    Category("environment", "Environment and installation",
             "installing, building or importing fails or is unclear: pip/conda, requirements, framework/CUDA/"
             "compiler versions, compiling extensions, OS or platform support, Docker, ImportError/"
             "ModuleNotFoundError of a dependency."),
    Category("reproducibility", "Results and reproduction",
             "results differ from the paper or from expectations: lower accuracy/AP, cannot reproduce a table, "
             "training does not converge, loss stays flat or explodes (without a crash), evaluation numbers "
             "disagree."),
    Category("method_question", "Method and implementation details",
             "they ask about the paper's method or how the code implements it: design choices, meaning of a "
             "variable or hyper-parameter, a mismatch between paper and code, theory."),
    Category("model_request", "Pretrained models",
             "pretrained weights or checkpoints: asking for them, broken download links for models, models for "
             "another dataset or backbone."),
    Category("data", "Datasets and preprocessing",
             "datasets and their preparation: availability, download links, formats, annotation files, splits, "
             "preprocessing scripts."),
    Category("code_bug", "Bug report without a crash",
             "a defect found by reading the code or by wrong behaviour without a crash: wrong computation, wrong "
             "default, logic error, typo in code; failing CI or flaky tests."),
    Category("feature_request", "Feature request",
             "new functionality: support for another framework, model, dataset or platform; ports; new options "
             "or APIs; refactoring proposals."),
    Category("performance", "Speed and resources",
             "training or inference speed, GPU memory use (without a crash), hardware needed, how long training "
             "takes, multi-GPU scaling."),
    Category("documentation", "Documentation",
             "README or docs are wrong, missing or outdated; broken links other than models and data; requests "
             "for docs or tutorials; licence and citation questions."),
    Category("code_release", "Missing code",
             "code is not (yet) released: when will it be, a script, module or component referenced by the "
             "README or the paper is missing."),
    Category("other", "Other",
             "anything else: discussion, thanks, announcements, questions unrelated to the repository, empty or "
             "unintelligible issues, spam."),
)

# The ids in the codebook's order (tables list categories in this order).
CATEGORIES: tuple[str, ...] = tuple(category.id for category in TAXONOMY)
