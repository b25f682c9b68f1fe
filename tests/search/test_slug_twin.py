"""kb.model.slugify and its JavaScript twin in static/offline.js give the same slug for every script."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata

import pytest

from kb.model import slugify
from kb.search.words import TOKEN_PATTERN, fold
from tests.helpers import REPO

SAMPLES = [
    "Konto og sikkerhet",
    "Blåbær på søndag",
    "Feilsøking og Ærlighet",
    "Crème brûlée, Straße",
    "Kunde’s «konto» — ny",
    "Œuvre Łódź Þór ðe",
    "Обліковий запис",
    "Йод и ёж",
    "ΟΔΟΣ Λογαριασμός",
    "الحساب والأمان",
    "אבטחת חשבון",
    "アカウント設定",
    "账户与安全",
    "계정 설정",
    "हिंदी खाता",
    "ไทย ภาษา",
    "Tiếng Việt",
    "𝐀𝐁 ﬁle ½",
    "C++ & C#",
    "e-post\u00a0og\u2003sms",
    "?!",
]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_python_and_javascript_slugify_agree() -> None:
    script = (REPO / "kb" / "static" / "offline.js").read_text(encoding="utf-8")
    start = script.index("  var TRANSLITERATION = ")
    end = script.index("\n  }\n", script.index("function slugify(")) + 4
    program = (
        script[start:end] + f"\nprocess.stdout.write(JSON.stringify({json.dumps(SAMPLES)}.map(slugify)));\n"
    )
    done = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == [slugify(text) for text in SAMPLES]
    assert all(re.fullmatch(r"[^-](?:.*[^-])?", s) for s in map(slugify, SAMPLES[:-1]))


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_python_and_javascript_split_words_alike() -> None:
    """kb.search.words.TOKEN_PATTERN and offline.js's TOKEN find the same words in every script:
    Chinese characters one by one, Hindi words whole through their vowel signs."""
    script = (REPO / "kb" / "static" / "offline.js").read_text(encoding="utf-8")
    start = script.index("  var SINGLE = ")
    end = script.index("\n", script.index("  var TOKEN = ")) + 1
    texts = [
        *SAMPLES,
        "हिन्दी में मानचित्र",
        "地图编辑 Go地图",
        "ひらがなカタカナ漢字",
        "మ్యాప్లను ഓഫ്ലൈൻ",
        "e-post_1 ½",
    ]
    program = (
        script[start:end]
        + f"\nprocess.stdout.write(JSON.stringify({json.dumps(texts)}.map(t => t.match(TOKEN) || [])));\n"
    )
    done = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == [TOKEN_PATTERN.findall(text) for text in texts]
    assert TOKEN_PATTERN.findall("हिन्दी 地图") == ["हिन्दी", "地", "图"]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_python_and_javascript_fold_alike() -> None:
    """offline.js drops the marks Python's folding drops (a canonical combining class above 0: an
    accent, a virama), not every mark (a vowel sign stays: हिन्दी folds to हिनदी), and composes again
    (Hangul stays Hangul); its list of those marks is Python's."""
    script = (REPO / "kb" / "static" / "offline.js").read_text(encoding="utf-8")
    start = script.index("  var FOLDING = ")
    end = script.index("\n", start)
    constants = (
        script[start:end]
        + "\n"
        + script[script.index("  var COMBINING = ") : script.index("  function fold(")]
    )
    function = script[
        script.index("  function fold(") : script.index("\n  }\n", script.index("  function fold(")) + 4
    ]
    texts = [
        *SAMPLES,
        "हिन्दी ऑफ़लाइन",
        "مَكتَبة",
        "שָׁלוֹם",
        "Tiếng Việt",
        "ガイドがあります",
        "지도를 편집",
        "ﬁle ①",
        "e\u0301",
    ]
    program = (
        constants
        + function
        + f"\nprocess.stdout.write(JSON.stringify([COMBINING.source, {json.dumps(texts)}.map(fold)]));\n"
    )
    done = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=60, check=True)
    source, folded = json.loads(done.stdout)
    assert folded == [fold(text) for text in texts]
    assert folded[len(SAMPLES)] == "हिनदी ऑफलाइन" and folded[len(SAMPLES) + 5] == "지도를 편집"
    assert (
        source
        == "[" + "".join(f"\\u{{{a:x}}}" + (f"-\\u{{{b:x}}}" if b > a else "") for a, b in combining()) + "]"
    )


def combining() -> list[tuple[int, int]]:
    """The ranges of code points with a canonical combining class above 0 (what folding drops)."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x110000):
        if unicodedata.combining(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return ranges
