"""Search in scripts without spaces between words (Chinese, Japanese) or with combining marks (Hindi)."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.search.analysis import WordTokenizer
from kb.search.service import SearchRequest
from kb.search.words import (
    MARK,
    TOKEN_PATTERN,
    WORD_CHAR,
    is_pair,
    is_single,
    token_pattern,
    word_matches,
    words,
)
from tests.helpers import indexed_articles, search_slugs


def test_chinese_words_are_found_inside_sentences_written_without_spaces(tmp_path: Path) -> None:
    """A reader types 编辑 (edit) or 下载地图 (download maps): the articles write them inside longer
    runs of characters, with no spaces; each character is a word, and two side by side one more."""
    service = indexed_articles(
        tmp_path,
        [
            ("zh", "download", "如何下载地图", "打开应用，选择要下载的地区，然后点击下载按钮。"),
            ("zh", "edit", "如何编辑地图", "你可以在应用中编辑地图上的地点和营业时间。"),
            ("zh", "voice", "听不到语音指示", "请在设置中打开语音指示，然后开始导航。"),
            ("zh", "scattered", "常见问题", "辑录了地区的下载说明：图片、编号和地址。"),
        ],
    )
    assert search_slugs(service, "语音", "zh") == ["voice"]
    assert search_slugs(service, "导航", "zh") == ["voice"]
    # "scattered" has every character of 编辑 and 编辑地图 too, but apart: it comes after the article
    # that writes them side by side, far below it
    for query, first in [("编辑", "edit"), ("编辑地图", "edit"), ("下载地图", "download")]:
        hits = service.search(SearchRequest(query, "zh")).hits
        assert hits[0].slug == first, query
        assert all(h.score < hits[0].score / 2 for h in hits if h.slug == "scattered"), query
    hit = service.search(SearchRequest("编辑", "zh")).hits[0]
    assert '<mark class="match term0">编辑</mark>' in hit.snippet  # one mark, not one per character
    assert search_slugs(service, '"编辑地图"', "zh") == ["edit"]  # a quoted phrase: the characters in a row
    assert service.search(SearchRequest('"地图编辑"', "zh")).fallback is not None  # in no article


def test_korean_words_are_found_with_their_particles_and_katakana_inside_longer_words(tmp_path: Path) -> None:
    """Korean joins particles to its words (지도를: the map, as object) and Japanese writes
    katakana compounds whole (オフラインマップ, offline map): each character is a word, and two
    side by side one more, as Lucene's CJK analysis reads them, so 지도 and マップ are found."""
    service = indexed_articles(
        tmp_path,
        [
            ("ko", "maps", "지도를 다운로드하는 방법", "설정에서 지도를 다운로드하세요."),
            ("ko", "edit", "장소 편집", "앱에서 장소 정보를 편집할 수 있습니다."),
            ("ko", "voice", "음성 안내가 들리지 않습니다", "설정에서 음성 안내를 켜세요."),
            ("ja", "offline", "オフラインマップ", "地図をダウンロードしてオフラインで使えます。"),
            ("ja", "route", "ルートを作成する", "目的地を選んでナビを開始します。"),
        ],
    )
    assert search_slugs(service, "지도", "ko") == ["maps"]
    assert (
        '<mark class="match term0">지도</mark>를'
        in service.search(SearchRequest("지도", "ko")).hits[0].snippet
    )
    assert search_slugs(service, "음성 안내", "ko") == ["voice"]
    assert search_slugs(service, "편집", "ko") == ["edit"]
    assert search_slugs(service, "マップ", "ja") == ["offline"]
    # longer queries: the soft rule of three words or more lets a shared character in, far below
    for query, lang, first in [
        ("지도 다운로드", "ko", "maps"),
        ("ダウンロード", "ja", "offline"),
        ("ルート作成", "ja", "route"),
    ]:
        hits = service.search(SearchRequest(query, lang)).hits
        assert hits[0].slug == first and all(h.score < hits[0].score / 10 for h in hits[1:]), query


def test_link_text_and_did_you_mean_keep_the_spacing_of_chinese_and_korean(tmp_path: Path) -> None:
    """Link text in Chinese or Korean does not count as the linking article's content (it was looked
    for with spaces between the characters, so never found), and "did you mean" writes Chinese
    without spaces between the characters and Korean with its spaces between words."""
    service = indexed_articles(
        tmp_path,
        [
            ("zh", "edit", "如何编辑地图", "你可以在应用中编辑地图上的地点和营业时间。"),
            ("zh", "voice", "听不到语音指示", "请在设置中打开语音 instructions，然后开始导航。"),
            ("zh", "faq", "常见问题", "更多信息请参阅[编辑地图](edit.md)。"),
            ("ko", "voice", "음성 안내", "설정에서 음성 안내 instructions 를 켜세요."),
            ("ko", "edit", "장소 편집", "앱에서 장소 정보를 편집할 수 있습니다."),
            ("ko", "faq", "자주 묻는 질문", "자세한 내용은 [장소 편집](edit.md) 문서를 참조하세요."),
        ],
    )
    assert search_slugs(service, "编辑", "zh") == ["edit"]
    assert search_slugs(service, "장소 편집", "ko") == ["edit"]
    result = service.search(SearchRequest("语音指示 instrucions", "zh"))
    assert result.suggestion == "语音指示 instructions"
    assert service.search(SearchRequest("음성 안내 instrucions", "ko")).suggestion == "음성 안내 instructions"


def test_hindi_words_stay_whole_through_their_vowel_signs(tmp_path: Path) -> None:
    """Python's ``\\w`` leaves out combining marks: हिन्दी was cut into ह, न, द, so any article
    with those letters matched. A word goes on through its vowel signs and viramas now."""
    assert words("हिन्दी में मानचित्र डाउनलोड करें") == ["हिन्दी", "में", "मानचित्र", "डाउनलोड", "करें"]
    pairs = ["离", "线", "离线", "地", "线地", "图", "地图", "go", "地", "图", "地图"]
    assert words("离线地图 Go地图") == pairs  # each character, and each two side by side
    service = indexed_articles(
        tmp_path,
        [
            ("hi", "maps", "मानचित्र डाउनलोड करें", "ऑफ़लाइन उपयोग के लिए मानचित्र डाउनलोड करें।"),
            ("hi", "honour", "सम्मान", "नए मान तय करें और चित्र जोड़ें।"),  # मान, चित्र: not मानचित्र
        ],
    )
    assert search_slugs(service, "मानचित्र", "hi") == ["maps"]
    hit = service.search(SearchRequest("मानचित्र", "hi")).hits[0]
    assert '<mark class="match term0">मानचित्र</mark>' in hit.snippet


def test_chinese_and_korean_synonyms_of_any_length_are_applied(tmp_path: Path) -> None:
    """An author's 修改 (change) for 编辑 (edit) finds the article that writes 编辑, marked in the
    snippet; 路线指引 (route guidance) for 导航 and Korean 내려받기 for 다운로드 (download), longer
    than a pair of characters, work both ways; ``kb check`` finds nothing wrong with them."""
    from click.testing import CliRunner

    from kb.cli import cli

    (tmp_path / "synonyms").mkdir()
    (tmp_path / "synonyms" / "zh.yml").write_text("编辑: [修改]\n导航: [路线指引]\n", encoding="utf-8")
    (tmp_path / "synonyms" / "ko.yml").write_text("다운로드: [내려받기]\n", encoding="utf-8")
    service = indexed_articles(
        tmp_path,
        [
            ("zh", "edit", "如何编辑地图", "你可以在应用中编辑地图上的地点和营业时间。"),
            ("zh", "voice", "听不到语音指示", "请在设置中打开语音指示，然后开始导航。"),
            ("zh", "guide", "路线指引", "选择目的地后，应用会显示路线指引。"),
            ("ko", "maps", "지도를 다운로드하는 방법", "설정에서 지도를 다운로드하세요."),
            ("ko", "files", "파일 내려받기", "파일을 내려받기 전에 저장 공간을 확인하세요."),
            ("ko", "voice", "음성 안내", "설정에서 음성 안내를 켜세요."),
        ],
    )
    hits = service.search(SearchRequest("修改", "zh")).hits
    assert [h.slug for h in hits] == ["edit"]
    assert '<mark class="match term0">编辑</mark>' in hits[0].snippet
    assert search_slugs(service, "修改地图", "zh")[0] == "edit"
    assert sorted(search_slugs(service, "导航", "zh")) == ["guide", "voice"]
    assert sorted(search_slugs(service, "路线指引", "zh")) == ["guide", "voice"]
    assert sorted(search_slugs(service, "내려받기", "ko")[:2]) == ["files", "maps"]  # 안내 shares a character
    assert sorted(search_slugs(service, "다운로드", "ko")) == ["files", "maps"]
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "check"])
    assert "synonyms" not in result.output and result.exit_code == 0, result.output


MIXED = st.text(st.sampled_from("地图编辑离线 ab-é'हिन्दीकि\u093f\u094d 。,Go1_"), max_size=40)


@given(MIXED)
@settings(max_examples=300, deadline=None)
def test_the_index_and_the_offline_index_read_the_same_words(text: str) -> None:
    """Whoosh's tokenizer and ``words`` (what the offline index reads) find the same tokens, each
    pair of characters right after its second character, at its first character's position."""
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar) for t in WordTokenizer()(text, positions=True, chars=True)
    ]
    assert [t[0].lower() for t in tokens] == words(text)
    for word, position, start, end in tokens:
        assert text[start:end] == word
        if is_pair(word):
            assert end - start == 2 and is_single(text[start]) and is_single(text[start + 1])
            assert next(t for t in tokens if t[2] == start and t[0] == word[0])[1] == position


@given(st.text(max_size=60) | MIXED)
@settings(max_examples=500, deadline=None)
def test_the_fast_pattern_is_chosen_only_where_it_finds_the_same_words(text: str) -> None:
    assert token_pattern(text).findall(text) == TOKEN_PATTERN.findall(text)


@given(
    st.text(st.sampled_from("ab -地图é\u0301é'"), max_size=30), st.sampled_from(["a", "ab", "b-a", "地", "é"])
)
@settings(max_examples=500, deadline=None)
def test_word_matches_are_the_matches_a_lookbehind_would_find(text: str, head: str) -> None:
    """``word_matches`` checks where a word starts in Python, as a lookbehind in the pattern would
    (``re`` scans far slower with one): the same matches, one for one."""
    rest = rf"(?:{WORD_CHAR}|{MARK})*"
    fast = [m.span() for m in word_matches(re.compile(re.escape(head) + rest), text)]
    guard = "" if is_single(head[0]) else rf"(?<!{WORD_CHAR})"
    assert fast == [m.span() for m in re.finditer(guard + re.escape(head) + rest, text)]
