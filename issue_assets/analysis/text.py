"""Text helpers for issue features: code blocks, URLs, language and sentiment.

Language: py3langid (its model ships in the wheel: no download at run time). Sentiment: VADER
(lexicon in the wheel). The study used Senti4SD, which needs Java and a large embedding file;
VADER is the offline stand-in, and it reads technical words such as "error" as negative, so
sentiment scores are comparable between issues of this product, not with the study's numbers.
Both run on prose only: code blocks and URLs are removed first.
"""

from __future__ import annotations

import re
from functools import lru_cache

_FENCE = re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)|<pre>.*?(?:</pre>|\Z)|<code>.*?(?:</code>|\Z)",
                    re.DOTALL | re.IGNORECASE)
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_WORDS = re.compile(r"[^\W\d_]{2,}")


def split_code(text: str) -> tuple[str, str]:
    """(prose, code): fenced and HTML code blocks separated from the rest."""
    if not text:
        return "", ""
    code = [m.group(0) for m in _FENCE.finditer(text)]
    return _FENCE.sub(" ", text), "\n".join(code)


def has_code_block(text: str | None) -> bool:
    return bool(text) and _FENCE.search(text) is not None


def has_url(text: str | None) -> bool:
    return bool(text) and _URL.search(text) is not None


def prose(text: str | None) -> str:
    """Text without code blocks and URLs, whitespace collapsed."""
    plain, _ = split_code(text or "")
    return " ".join(_URL.sub(" ", plain).split())


# Languages of GitHub issues: without this restriction py3langid reads Chinese as Wu ("wuu") and
# short English titles as Latin, Nigerian Pidgin or Afrikaans.
ISSUE_LANGUAGES = ("en", "zh", "ja", "ko", "ru", "de", "fr", "es", "pt", "it", "vi", "tr", "fa", "ar", "hi", "id",
                   "pl", "uk", "nl")
# Short technical titles in Latin letters ("Models", "Model collapse") look foreign to a character
# model: they count as English unless py3langid is at least this sure of another language.
LATIN_CERTAINTY = 0.99


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(ISSUE_LANGUAGES))
    return identifier


def language(text: str | None) -> str | None:
    """ISO 639-1 code of the text's language (one of ``ISSUE_LANGUAGES``); None when it has no words
    to judge (empty, code only)."""
    plain = prose(text)
    if not _WORDS.search(plain):
        return None
    code, certainty = _identifier().classify(plain)
    if code != "en" and certainty < LATIN_CERTAINTY and all(c.isascii() for c in plain if c.isalpha()):
        return "en"
    return code


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment(text: str | None) -> float:
    """VADER compound score in [-1, 1]; 0 (neutral, as VADER scores an empty text) for text with no words,
    so that issues with an empty body keep their place in the tests and models."""
    plain = prose(text)
    if not _WORDS.search(plain):
        return 0.0
    return float(_analyzer().polarity_scores(plain[:5000])["compound"])
