"""Bytes to trusted text: entity declarations refused from the prolog alone, forbidden characters removed."""

from __future__ import annotations

import pytest

from atai_worker.decode import EntityDeclarations, clean_text, markup_head, refuse_entity_declarations
from tests.fakes.feed_server import FIXTURES_DIR


@pytest.mark.parametrize("document", [
    '<!DOCTYPE rss [<!ENTITY a "x">]><rss/>',
    '<?xml version="1.0"?>\n<!-- note -->\n<!doctype rss [\n<!entity a "x">]><rss/>',
    '<!DOCTYPE rss SYSTEM "a>b.dtd" [<!ENTITY a "x">]><rss/>',  # a quoted ">" does not end the DOCTYPE
    '<!DOCTYPE rss [<!ATTLIST rss n CDATA "]>"><!ENTITY a "x">]><rss/>',  # nor does a quoted "]>"
    '<!DOCTYPE rss [<!ENTITY % p SYSTEM "http://127.0.0.1/evil.dtd"> %p;]><rss/>',
    (FIXTURES_DIR / "hostile" / "billion-laughs.xml").read_text(),
    (FIXTURES_DIR / "hostile" / "quadratic-blowup.xml").read_text(),
    (FIXTURES_DIR / "hostile" / "external-entity.xml").read_text(),
])
def test_a_doctype_that_declares_entities_is_refused(document):
    with pytest.raises(EntityDeclarations):
        refuse_entity_declarations(document)


@pytest.mark.parametrize("document", [
    (FIXTURES_DIR / "feeds" / "rss091.xml").read_text(encoding="latin-1"),  # an external DTD only
    "<!DOCTYPE html><html><body><p>&lt;!ENTITY a &quot;x&quot;&gt; is how XML declares one</p></body></html>",
    '<rss><channel><description><![CDATA[<!DOCTYPE x [<!ENTITY a "x">]>]]></description></channel></rss>',
    "", "<?xml version='1.0'?>", "<!-- never closed", '<!DOCTYPE rss "never closed',
])
def test_documents_without_entity_declarations_pass(document):
    refuse_entity_declarations(document)


def test_the_markup_of_a_page_is_read_in_any_encoding_without_guessing():
    assert markup_head('<!DOCTYPE x [<!ENTITY a "b">]>'.encode("utf-16")).startswith("<!DOCTYPE x [<!ENTITY")
    assert markup_head("<!DOCTYPE html><p>caf\u00e9</p>".encode("cp1252")).startswith("<!DOCTYPE html>")


def test_characters_xml_forbids_are_removed_and_the_rest_kept():
    assert clean_text("a\x00b\x1b[0mc\x0cd\ufffee\uffff") == "ab[0mcde"
    assert clean_text("lone \ud800 surrogate") == "lone \ufffd surrogate"
    kept = "tab\tnewline\ncarriage\r C1\x85 emoji \U0001f30a Hangul \ud55c"
    assert clean_text(kept) is kept
    assert clean_text("") == "" and clean_text(None) is None
