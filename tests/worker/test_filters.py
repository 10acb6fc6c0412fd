"""The filters stage on entries we make here: keywords, phrases, patterns and their guards, age and length."""

from __future__ import annotations

import time

import pytest

from atai_worker.errors import FilterError
from atai_worker.filters import MAX_PATTERN_CHARS, Rules, pattern_problem, plan
from atai_worker.models import Entry, item_key

NOW = 1_793_613_600.0  # 2026-11-02T10:00:00Z
DAY = 86400


def entry(title: str, text: str = "", *, published_days_ago: float | None = 1) -> Entry:
    published = None
    if published_days_ago is not None:
        published = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(NOW - published_days_ago * DAY))
    return Entry(feed_id=1, feed_url="https://news.larkmouth.example/feed", key=item_key(1, title, None),
                 guid=title, link=None, title=title, published=published, content_html=f"<p>{text}</p>")


def kept_titles(entries, options) -> list[str]:
    kept, _ = plan(entries, options, now=NOW)
    return [e.title for e in kept]


def reasons(entries, options) -> dict[str, tuple[str, str]]:
    _, skipped = plan(entries, options, now=NOW)
    return {s.entry.title: (s.code, s.reason) for s in skipped}


def test_no_filter_options_keep_every_entry():
    entries = [entry("One"), entry("Two", published_days_ago=None)]
    assert plan(entries, None, now=NOW) == (entries, [])
    assert plan(entries, {"full_text": "always"}, now=NOW) == (entries, [])


def test_an_excluded_word_in_the_title_or_text_leaves_the_entry_out_with_the_word_named():
    entries = [entry("Lifeboat crew rescues a yacht"), entry("Harbour market", "A stall sells crypto coins."),
               entry("Kite festival", "Cryptography talk at the library.")]

    assert reasons(entries, {"exclude_keywords": ["crypto"]}) == {
        "Harbour market": ("filter_excluded", "filters: the title or text contains \u201ccrypto\u201d, which this "
                                              "feed excludes")}


def test_whole_words_can_be_turned_off_so_a_keyword_matches_inside_words():
    entries = [entry("Kite festival", "Cryptography talk at the library.")]

    assert kept_titles(entries, {"exclude_keywords": ["crypto"]}) == ["Kite festival"]
    assert kept_titles(entries, {"exclude_keywords": ["crypto"], "whole_words": False}) == []


def test_keywords_ignore_case_and_a_phrase_matches_across_any_spacing():
    entries = [entry("SEA WALL repairs begin"), entry("Sea\nwall closed"), entry("Walls of the sea fort")]

    assert kept_titles(entries, {"include_keywords": ["sea wall"]}) == ["SEA WALL repairs begin", "Sea\nwall closed"]


def test_include_keywords_keep_entries_with_any_of_them_or_with_all_of_them():
    entries = [entry("Ferry timetable", "The ferry leaves at six."), entry("Ferry and bus", "New bus links."),
               entry("Bakery news", "Rye bread.")]

    assert kept_titles(entries, {"include_keywords": ["ferry", "bus"]}) == ["Ferry timetable", "Ferry and bus"]
    assert kept_titles(entries, {"include_keywords": ["ferry", "bus"], "include_match": "all"}) == ["Ferry and bus"]
    assert reasons(entries, {"include_keywords": ["ferry", "bus"], "include_match": "all"})["Ferry timetable"] == (
        "filter_not_included", "filters: the title or text lacks \u201cbus\u201d, and this feed requires every one "
                               "of \u201cferry\u201d, \u201cbus\u201d")
    assert reasons(entries, {"include_keywords": ["ferry", "bus"]})["Bakery news"] == (
        "filter_not_included", "filters: the title or text contains none of \u201cferry\u201d, \u201cbus\u201d, and "
                               "this feed requires one of them")


@pytest.mark.parametrize(("where", "kept"), [("title", ["Storm warning"]), ("content", ["Calm day"]),
                                             ("both", ["Storm warning", "Calm day"])])
def test_keywords_are_looked_for_in_the_title_the_text_or_both(where, kept):
    entries = [entry("Storm warning", "Boats stay in."), entry("Calm day", "No storm expected.")]

    assert kept_titles(entries, {"include_keywords": ["storm"], "keywords_in": where}) == kept


def test_exclusion_wins_over_inclusion():
    entries = [entry("Ferry cancelled", "Sponsored: ferry insurance.")]

    assert reasons(entries, {"include_keywords": ["ferry"], "exclude_keywords": ["sponsored"]}) == {
        "Ferry cancelled": ("filter_excluded", "filters: the title or text contains \u201csponsored\u201d, which "
                                               "this feed excludes")}


def test_keywords_can_be_regular_expressions():
    entries = [entry("Match report: Larkmouth 3-1 Hesketh"), entry("Match preview"), entry("Score 10-12")]

    options = {"include_keywords": [r"\d+-\d+"], "keywords_are_patterns": True}
    assert kept_titles(entries, options) == ["Match report: Larkmouth 3-1 Hesketh", "Score 10-12"]


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(\w+\s?)*x", r"(?:x*){2,}", r"((ab)*c)+", r"(a{2,})+"])
def test_patterns_that_repeat_a_repetition_are_refused_before_they_run(pattern):
    assert "repeats a group that already repeats" in pattern_problem(pattern)
    with pytest.raises(FilterError) as caught:
        plan([entry("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab")],
             {"include_keywords": [pattern], "keywords_are_patterns": True}, now=NOW)
    assert caught.value.code == "filter_invalid"
    assert caught.value.message.startswith(f"filters: the pattern \u201c{pattern}\u201d cannot be used: it repeats")


@pytest.mark.parametrize("pattern", [r"(ab)+", r"[(+]+", r"\(a+\)+", r"(a|b)?c+", r"(x{1,3}){2}", r"colou?r"])
def test_patterns_without_nested_repetition_are_accepted(pattern):
    assert pattern_problem(pattern) == ""


def test_a_pattern_that_does_not_compile_or_is_too_long_is_refused_in_words():
    with pytest.raises(FilterError, match=r"cannot be used: missing \)"):
        plan([entry("x")], {"include_keywords": ["(unclosed"], "keywords_are_patterns": True}, now=NOW)
    assert pattern_problem("a" * (MAX_PATTERN_CHARS + 1)) == f"it is longer than {MAX_PATTERN_CHARS} characters"


def test_a_pattern_that_takes_too_long_leaves_the_entry_out_with_the_reason():
    # Five greedy wildcards in a row backtrack polynomially (n^5) without any nesting the guard looks for.
    slow = entry("Alphabet soup", "abcde" * 200)

    _, skipped = plan([slow], {"include_keywords": ["a.*b.*c.*d.*e.*x"], "keywords_are_patterns": True,
                               "whole_words": False}, now=NOW)

    assert [(s.code, s.reason) for s in skipped] == [(
        "filter_pattern_timeout", "filters: a regular expression of this feed took too long on the title or text, so "
                                  "the entry was left out; simplify the pattern")]


def test_entries_older_than_the_maximum_age_are_left_out_and_undated_ones_kept():
    entries = [entry("Fresh", published_days_ago=2), entry("Stale", published_days_ago=45.5),
               entry("Undated", published_days_ago=None)]

    assert reasons(entries, {"max_age_days": 30}) == {
        "Stale": ("filter_too_old", "filters: published 45 days ago, older than this feed's limit of 30 days")}


def test_entries_shorter_than_the_minimum_length_are_left_out():
    entries = [entry("Long", "word " * 120), entry("Short", "Just a line of text here.")]

    assert reasons(entries, {"min_words": 100}) == {
        "Short": ("filter_too_short", "filters: 6 words in the feed, fewer than this feed's minimum of 100")}


def test_a_skip_is_reported_as_the_contracts_skipped_entry():
    _, [skip] = plan([entry("Stale", published_days_ago=9)], {"max_age_days": 3}, now=NOW)

    assert skip.to_dict() == {"key": item_key(1, "Stale", None), "guid": "Stale", "link": None, "title": "Stale",
                              "code": "filter_too_old",
                              "reason": "filters: published 9 days ago, older than this feed's limit of 3 days"}


def test_a_pattern_that_took_too_long_once_is_not_run_again_in_the_same_run():
    slow = [entry(f"Soup {n}", "abcde" * 200) for n in range(20)]

    rules = Rules.from_options({"include_keywords": ["a.*b.*c.*d.*e.*x"], "keywords_are_patterns": True,
                                "whole_words": False})
    skipped = [rules.check(one, NOW) for one in slow]

    assert [s.code for s in skipped] == ["filter_pattern_timeout"] * 20
    assert rules.include[0].slow
