"""The language findings are written in: a BCP 47 tag (``zh-CN``, ``ja``, ``de``), checked
against the IANA subtag registry (through ``langcodes``), and the sentence that asks the model
for it.

The request names the tag and, for the common languages, the language in English ("Write in
zh-CN (Simplified Chinese)"); code, quotes, identifiers, paths and CWE ids stay verbatim, so
anchoring and fixes work whatever the language. English (no tag) adds nothing to the request.
"""

from __future__ import annotations

import langcodes

# Names for the tags teams use most; another valid tag is stated by its tag alone.
_SCRIPTED = {
    ("zh", "Hans"): "Simplified Chinese",
    ("zh", "Hant"): "Traditional Chinese",
}
_REGIONAL = {
    ("zh", "CN"): "Simplified Chinese",
    ("zh", "SG"): "Simplified Chinese",
    ("zh", "TW"): "Traditional Chinese",
    ("zh", "HK"): "Traditional Chinese",
    ("zh", "MO"): "Traditional Chinese",
    ("pt", "BR"): "Brazilian Portuguese",
    ("pt", "PT"): "European Portuguese",
    ("en", "GB"): "British English",
    ("en", "US"): "American English",
    ("es", "419"): "Latin American Spanish",
    ("fr", "CA"): "Canadian French",
}
_NAMES = {
    "ar": "Arabic",
    "bg": "Bulgarian",
    "bn": "Bengali",
    "ca": "Catalan",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hr": "Croatian",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "ms": "Malay",
    "nb": "Norwegian Bokmål",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sr": "Serbian",
    "sv": "Swedish",
    "ta": "Tamil",
    "th": "Thai",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "zh": "Chinese",
}


def normalize(tag: str) -> str:
    """The tag in its standard form (``zh-cn`` → ``zh-CN``); ``ValueError`` when it is not a
    valid BCP 47 tag (its message follows the value: "'xx' is not ...")."""
    raw = tag.strip() if isinstance(tag, str) else ""
    if not raw or not langcodes.tag_is_valid(raw):
        raise ValueError("is not a BCP 47 language tag (such as zh-CN, ja, de or pt-BR)")
    return str(langcodes.standardize_tag(raw))


def name(tag: str) -> str | None:
    """The language's English name for the common tags (``zh-CN`` → "Simplified Chinese")."""
    lang = langcodes.Language.get(tag)
    primary = lang.language or ""
    if lang.script and (primary, lang.script) in _SCRIPTED:
        return _SCRIPTED[(primary, lang.script)]
    if lang.territory and (primary, lang.territory) in _REGIONAL:
        return _REGIONAL[(primary, lang.territory)]
    return _NAMES.get(primary)


def described(tag: str) -> str:
    """``zh-CN (Simplified Chinese)``, or the tag alone when its name is not known here."""
    known = name(tag)
    return f"{tag} ({known})" if known else tag


def instruction(tag: str | None) -> str:
    """The request's sentence asking for ``tag``'s language; empty for the default (English)."""
    if not tag:
        return ""
    return (
        f"Write in {described(tag)}: every title, message, related-location message and the "
        "summary. Keep code, quotes, fixes, identifiers, file paths, CWE ids and the JSON keys "
        "and values of the schema (severity, category, origin) verbatim, exactly as they "
        "appear in the repository and the schema."
    )
