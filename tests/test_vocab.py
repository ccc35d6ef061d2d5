"""The cluster labels live once, in ``archive.vocab``: every part ``Gongkai.cluster`` answers has
a web heading and a CLI label, and both the web page and the CLI read that one table."""

from __future__ import annotations

from helpers import Corpus

from archive.vocab import CLUSTER_LABELS, CLUSTER_PARTS, CLUSTER_SECTIONS
from indexer.service import Gongkai


def test_every_cluster_part_has_a_heading_and_a_label(corpus: Corpus) -> None:
    assert [attr for attr, _ in CLUSTER_SECTIONS] == list(CLUSTER_LABELS)
    assert len({attr for attr, _, _ in CLUSTER_PARTS}) == len(CLUSTER_PARTS)
    with Gongkai(corpus.data, readonly=True) as gk:
        for doc_id in corpus.ids.values():
            doc = gk.archive.get(doc_id)
            assert doc is not None
            assert set(gk.cluster(doc).summary()) <= set(CLUSTER_LABELS)


def test_web_and_cli_use_the_vocabulary_table() -> None:
    # The CLI's text (``show``, each search hit) is rendered by these two modules.
    from indexer import document_view, status_text
    from search_app import api
    from search_app.views import document

    assert document_view.CLUSTER_LABELS is status_text.CLUSTER_LABELS is CLUSTER_LABELS
    assert document.CLUSTER_SECTIONS is api.CLUSTER_SECTIONS is CLUSTER_SECTIONS
