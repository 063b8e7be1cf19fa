"""The codebook's keyword rules (``shared/taxonomy.md``): a transparent first classifier, and features
of the learned one.

Each category has patterns with weights; the title counts three times as much as the body
(the codebook: "read the title first"; "when two reasons are equally strong, the title
decides"), code blocks only feed the error and environment signals, and the codebook's hard-case
rules are applied after scoring. ``confidence`` is the winning category's share of all scores
(0 when nothing matched: ``other``). ``evidence`` names the patterns that fired, so every label
can be checked by a reader.
"""

from __future__ import annotations

import re
import re._constants as re_constants
import re._parser as re_parser
from collections.abc import Iterable
from dataclasses import dataclass

from issue_assets.analysis.taxonomy import CATEGORIES
from issue_assets.analysis.text import split_code

TITLE_WEIGHT = 3.0
BODY_WEIGHT = 1.0

_RULES: dict[str, list[tuple[str, float]]] = {
    "runtime_error": [
        (r"出错|异常退出|崩溃|运行失败|训练失败|失败", 1.5),
        (r"\btraceback\b", 3), (r"\b\w*(error|exception)\b", 1.5), (r"\bcuda (error|out of memory)\b", 2),
        (r"\bout of memory\b|\boom\b", 1.5), (r"\bsize mismatch\b|\bshape mismatch\b|\bshapes? .{0,30}mismatch", 2),
        (r"\bcrash(es|ed|ing)?\b|\bsegmentation fault\b|\bcore dumped\b", 2), (r"\bfails? (to run|when)\b", 1),
        (r"\bassert(ion)?\b", 1), (r"\bnan (loss|error)\b", 1), (r"\bkilled\b", 1), (r"报错|错误", 2),
    ],
    "unclear_instructions": [
        (r"怎样|如何使用|怎么用|请问.{0,10}(怎么|如何)|在哪里?(修改|设置)", 1.5),
        (r"\bhow (to|do|can|should)\b", 2), (r"\b(usage|use it|apply it|run it)\b", 1),
        (r"\bown (data|images?|dataset|video)\b", 1.5), (r"\bwhich (arguments?|config|command|script)\b", 2),
        (r"\b(inference|demo|test) on\b", 1), (r"\bcommand\b", 0.5), (r"\bguide\b|\bsteps?\b", 0.5),
        (r"如何|怎么", 2),
    ],
    "environment": [
        (r"安装|编译|依赖|环境配置|版本不(一致|兼容)|链接错误", 2),
        (r"\b(pip|conda|install(ing|ation|ed)?|setup\.py|requirements(\.txt)?)\b", 2),
        (r"\b(importerror|modulenotfounderror|no module named)\b", 3), (r"\bcompil(e|ing|ation)\b", 2),
        (r"\b(cuda|cudnn|gcc|nvcc|driver) version\b|\bversion of (torch|pytorch|tensorflow|cuda)\b", 2),
        (r"\b(docker|windows|macos|mac os|apple silicon|m1|ubuntu)\b", 1.5), (r"\bbuild(ing)? (fails?|error)\b", 2),
        (r"\bdependenc(y|ies)\b|\bversions?\b", 1), (r"\bextension\b|\bwheel\b", 1),
    ],
    "reproducibility": [
        (r"复现|效果(差|不好|不佳|很差)|精度(低|下降|不高)|不收敛|检测不(出|到)|没有检测框|ap(值)?为0", 2.5),
        (r"\breproduc(e|ed|ing|tion|ibility)\b", 3), (r"\b(lower|worse|different|higher) (than|results?|accuracy)\b", 2),
        (r"\b(accuracy|map|miou|f1|bleu|fid|psnr|ap50?|auc)\b", 1), (r"\bin the paper\b|\breported\b", 1.5),
        (r"\bdoes(n't| not) converge\b|\bnot converg|\bloss (is |stays )?(flat|not decreas|explod)", 3),
        (r"\bresults?\b", 1), (r"\bperformance gap\b|\bcan(not|'t) (get|achieve|reach)\b", 1.5),
    ],
    "method_question": [
        (r"\b(i (don't|do not|can't|cannot) understand|confus(ed|ing)|could you (please )?explain|what is the (purpose|role|reason)|is (it|this) (correct|right) that)\b", 2),
        (r"\bin (your|the) paper\b", 1.5),
        (r"为什么|为何|原理|含义|意义|论文中|区别", 2),
        (r"\bwhy (do|does|did|is|are|use)\b", 2), (r"\b(equation|eq\.|formula|theory|theorem|loss function)\b", 2),
        (r"\b(paper|method|implementation) (and|vs\.?|versus) (code|paper|implementation)\b", 2),
        (r"\bmeaning of\b|\bwhat (is|does) (the )?\w+ (mean|stand|do)\b", 2), (r"\bhyper-?parameters?\b", 1),
        (r"\bdesign choice\b|\bin the paper,? you\b|\bsection \d", 2), (r"\bquestion about\b", 1),
        (r"\bdifference between\b", 1.5),
    ],
    "model_request": [
        (r"预训练(模型|权重)?|权重文件|模型下载", 2.5),
        (r"\bpre-?trained\b", 2.5), (r"\b(checkpoints?|weights?|\.pth|\.ckpt|\.pt\b|model files?)\b", 2.5),
        (r"\b(release|share|provide|upload)\b.{0,30}\b(models?|weights?|checkpoints?)\b", 3),
    ],
    "data": [
        (r"数据集|标注|数据格式|数据准备", 2),
        (r"\bdatasets?\b", 2), (r"\b(annotations?|splits?|preprocess(ing|ed)?|data ?loader)\b", 1.5),
        (r"\b(imagenet|coco|cifar|cityscapes|kitti|scannet|squad|glue|nuscenes|shapenet|celeba|voc|ade20k)\b", 1.5),
        (r"\bdata (link|download|format|preparation)\b|\bdownload (the )?data\b", 2.5), (r"\b\.json|\.csv|\.h5\b", 0.5),
    ],
    "code_bug": [
        (r"\bbug\b", 2), (r"\bwrong(ly)?\b|\bincorrect(ly)?\b|\bshould be\b", 2), (r"\btypo\b", 2),
        (r"\b(line \d+|off-by-one|logic error)\b", 1.5), (r"\b(ci|tests?) (fail|is failing|are failing)\b|\bflaky\b", 2),
    ],
    "feature_request": [
        (r"\bany plans?\b|\bplan to (support|add|implement)\b|\bwill you (support|add|consider)\b|\bwould be (great|nice|helpful)\b", 2.5),
        (r"🚀|\bthe feature\b", 2), (r"\b(add|adding|implement(ing)?)\b", 1),
        (r"是否支持|能否支持|希望(能|可以)?(增加|添加|支持)|建议(增加|添加)|需求描述", 2.5),
        (r"\b(feature request|support for|add support|please add|would be nice|could you add)\b", 3),
        (r"\b(port|version) (to|for|in) (pytorch|tensorflow|jax|keras|paddle|onnx|tflite)\b", 3),
        (r"\b(pytorch|tensorflow|jax|keras) (version|implementation|port)\b", 2.5), (r"\brefactor", 2),
        (r"\bnew (option|feature|api|model|dataset)\b|\benhancement\b", 2), (r"\bonnx|tensorrt|colab\b", 1),
    ],
    "performance": [
        (r"速度|很慢|太慢|显存|内存占用|耗时|推理时间", 2.5),
        (r"\b(slow|speed|faster|fps|latency|throughput)\b", 2.5), (r"\b(gpu )?memory (usage|consumption|needed|required)\b", 3),
        (r"\bhow (long|much time|many gpus?)\b|\btraining time\b", 3), (r"\bmulti-?gpu\b|\bdistributed\b", 1.5),
        (r"\b(hardware|gpus?)\b", 0.5), (r"\breduce (the )?memory\b", 3),
    ],
    "documentation": [
        (r"文档|教程|链接(失效|无效|打不开)", 2.5),
        (r"\b(readme|documentation|docs?|tutorial)\b", 2.5), (r"\bbroken link\b|\blink (is )?(broken|dead|invalid)\b", 2),
        (r"\b(licen[cs]e|citation|cite|bibtex)\b", 3), (r"\boutdated\b|\bout of date\b", 1.5),
    ],
    "code_release": [
        (r"\b(training|train|evaluation|source|full) code\b", 2.5), (r"\bcode (for|of) (the|this|training|experiments?)\b", 1.5),
        (r"开源|训练代码|代码(什么时候|何时)", 2.5),
        (r"\b(release|publish|open[- ]source|upload)\b.{0,30}\bcode\b", 3), (r"\bcode (release|availability)\b", 3),
        (r"\bwhen will\b", 2), (r"\b(missing|not found|can't find|cannot find|where is)\b.{0,40}\b(script|file|module|code)\b", 2.5),
        (r"\bcoming soon\b|\bnot (yet )?released\b", 2),
    ],
    "other": [
        (r"\b(thanks?|thank you|great work|nice work|awesome|congratulations)\b", 1),
        (r"\b(spam|test issue|hello|hi there)\b", 0.5),
    ],
}


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Strings of which every match of ``pattern`` contains at least one; ``None`` when none are known.

    A pattern is only searched in a text holding one of them: ``in`` on a string is a fast scan, while
    most of these patterns start with ``\\b``, which keeps ``re`` from skipping ahead to a literal."""
    found = _literals_of(re_parser.parse(pattern))
    return tuple(sorted(found)) if found else None


def _literals_of(items) -> frozenset[str] | None:
    # A sequence requires each of its parts: take the part whose alternatives are the longest.
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def end_run() -> None:
        if run:
            candidates.append(frozenset(["".join(run)]))
            run.clear()

    for op, value in items:
        if op is re_constants.LITERAL:
            run.append(chr(value))
            continue
        end_run()
        found = None
        if op is re_constants.SUBPATTERN:
            found = _literals_of(value[-1])
        elif op is re_constants.BRANCH:  # every alternative must name its literals
            alternatives = [_literals_of(branch) for branch in value[1]]
            found = None if any(a is None for a in alternatives) else frozenset().union(*alternatives)
        elif op in (re_constants.MAX_REPEAT, re_constants.MIN_REPEAT, re_constants.POSSESSIVE_REPEAT) \
                and value[0] >= 1:
            found = _literals_of(value[2])
        if found:
            candidates.append(found)
    end_run()
    return max(candidates, key=lambda c: (min(map(len, c)), -len(c)), default=None)


# Matched against lower-cased text: twice as fast as re.IGNORECASE over ~100 patterns; each pattern
# with the literals a text needs before the pattern is searched in it.
_COMPILED = {category: [(re.compile(p), w, required_literals(p)) for p, w in rules]
             for category, rules in _RULES.items()}
# Issue templates put environment details (versions, OS, pip lists) into most bodies: outside the
# title, environment words are weak evidence of an environment issue.
_BODY_FACTOR = {"environment": 0.4}
# Only these read code blocks: a traceback or a pip log in a code block is the issue's content.
_CODE_CATEGORIES = ("runtime_error", "environment")
_INSTALL_CONTEXT = re.compile(r"\b(pip|conda|install|setup\.py|build(ing)?|compil\w*|import(error)?|no module named|"
                              r"modulenotfounderror|cuda version|nvcc|gcc)\b", re.IGNORECASE)
_ERROR_CONTEXT = re.compile(r"\btraceback\b|\b\w*(error|exception)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Label:
    category: str
    confidence: float
    evidence: str


def _score(text: str, weight: float, scores: dict[str, float], hits: dict[str, list[str]],
           categories: Iterable[str], factors: dict[str, float] | None = None) -> None:
    text = text.lower()
    for category in categories:
        factor = (factors or {}).get(category, 1.0)
        for pattern, w, literals in _COMPILED[category]:
            if literals is not None and not any(literal in text for literal in literals):
                continue
            if pattern.search(text):
                scores[category] += w * weight * factor
                hits[category].append(pattern.pattern[:40])


def rule_scores(title: str | None, body: str | None) -> tuple[dict[str, float], dict[str, list[str]]]:
    """The codebook rules' score of each category, and the patterns that matched (the evidence)."""
    title = title or ""
    prose, code = split_code(body or "")
    scores = dict.fromkeys(CATEGORIES, 0.0)
    hits: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    _score(title, TITLE_WEIGHT, scores, hits, CATEGORIES)
    _score(prose[:4000], BODY_WEIGHT, scores, hits, CATEGORIES, _BODY_FACTOR)
    _score(code[:4000], BODY_WEIGHT, scores, hits, _CODE_CATEGORIES, _BODY_FACTOR)
    text = f"{title}\n{prose}\n{code}"
    # Rule 1: an error while installing, building or importing a dependency is an environment issue.
    if scores["runtime_error"] > 0 and _INSTALL_CONTEXT.search(text) and scores["environment"] > 0:
        scores["environment"] += scores["runtime_error"] * 0.5
        scores["runtime_error"] *= 0.5
    # Rule 4: out-of-memory with an error message is a crash; without one, a resources question.
    if scores["performance"] > 0 and _ERROR_CONTEXT.search(text) and re.search(r"out of memory|\boom\b", text, re.I):
        scores["runtime_error"] += scores["performance"] * 0.5
    return scores, hits


def classify_issue(title: str | None, body: str | None) -> Label:
    title = title or ""
    scores, hits = rule_scores(title, body)
    return label_from_scores(title, scores, hits)


def label_from_scores(title: str, scores: dict[str, float], hits: dict[str, list[str]]) -> Label:
    total = sum(scores.values())
    if total <= 0:
        return Label("other", 0.0, "")
    ranked = sorted(CATEGORIES, key=lambda c: (-scores[c], CATEGORIES.index(c)))
    best = ranked[0]
    # Rule 6: a tie is decided by the title.
    if len(ranked) > 1 and scores[ranked[1]] == scores[best]:
        title_scores: dict[str, float] = dict.fromkeys(CATEGORIES, 0.0)
        _score(title, 1.0, title_scores, {c: [] for c in CATEGORIES}, CATEGORIES)
        tied = [c for c in ranked if scores[c] == scores[best]]
        best = max(tied, key=lambda c: title_scores[c])
    return Label(best, round(scores[best] / total, 4), "; ".join(hits[best][:4]))
