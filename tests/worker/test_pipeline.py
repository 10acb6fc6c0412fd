"""The per-entry step's pure parts."""

from atai_worker.pipeline import excerpt_of


def test_the_excerpt_is_the_start_of_the_text():
    assert excerpt_of("<p>" + "word " * 80 + "</p>") == " ".join(["word"] * 55) + " …"
    assert excerpt_of("<h2>Short</h2><p>text</p>") == "Short text"
