"""文号 / 索引号 normalization, from the function up to ``gongkai search`` and ``show``."""

from __future__ import annotations

import pytest
from helpers import Corpus, cli_json, run_cli, search_json

from indexer.normalize import (
    doc_number_suffix,
    find_doc_numbers,
    fold,
    looks_like_doc_number,
    looks_like_index_number,
    normalize_doc_number,
    normalize_index_number,
)

VARIANTS = [
    "国办发[2019]2号",
    "国办发（2019）2号",
    "国办发〔２０１９〕２号",
    "国办发【2019】2号",
    "国办发 (2019) 2 号",
    "国办发〔2019〕2号",
]


@pytest.mark.parametrize("variant", VARIANTS)
def test_doc_number_variants_normalize_equal(variant: str) -> None:
    assert looks_like_doc_number(variant)
    assert normalize_doc_number(variant) == "国办发〔2019〕2号"


def test_leading_zeros_and_第_are_dropped() -> None:
    assert normalize_doc_number("国办发〔2019〕第02号") == "国办发〔2019〕2号"


def test_different_numbers_stay_different() -> None:
    one, sixteen = (
        normalize_doc_number("国办发〔2017〕1号"),
        normalize_doc_number("国办发(2017)16号"),
    )
    assert one != sixteen
    assert doc_number_suffix(one) == "〔2017〕1号"
    assert doc_number_suffix(sixteen) == "〔2017〕16号"


def test_non_doc_number_is_folded_for_comparison() -> None:
    assert not looks_like_doc_number("关于做好政务公开工作的通知")
    assert normalize_doc_number(" ＡＢＣ　字 ") == "abc字"


def test_fold_keeps_length_and_folds_width_and_radicals() -> None:
    text = "ＡＢＣ２０１９年⽂件　第1条"
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded == "abc2019年文件 第1条"


def test_index_numbers() -> None:
    assert looks_like_index_number("000014349/2019-00002")
    assert looks_like_index_number(" qc-wjw-2020-0031 ")
    assert normalize_index_number(" qc-wjw-２０２０-0031 ") == "QC-WJW-2020-0031"
    assert not looks_like_index_number("政务公开")


def test_find_doc_numbers_keeps_offsets_and_matches_prefix() -> None:
    text = "根据国办发（２０１７）１６号和国办发[2017]1号的要求"
    mentions = find_doc_numbers(text)
    assert [m.suffix for m in mentions] == ["〔2017〕16号", "〔2017〕1号"]
    assert text[mentions[0].start : mentions[0].end] == "（２０１７）１６号"
    assert mentions[1].matches("国办发〔2017〕1号")
    assert not mentions[1].matches("国办发〔2017〕16号")
    assert not mentions[0].matches("国办发〔2017〕1号")
    assert not mentions[1].matches("川办发〔2017〕1号")


@pytest.mark.parametrize("variant", VARIANTS)
def test_search_by_any_variant_ranks_the_document_first(corpus: Corpus, variant: str) -> None:
    result = search_json(corpus.data, variant)
    assert result["hits"], f"no hit for {variant}"
    top = result["hits"][0]
    assert top["doc_number"] == "国办发〔2019〕2号"
    assert top["id"] == corpus.ids["guoban-2019-2.txt"]


@pytest.mark.parametrize("query", ["〔2017〕1号", "国办发〔2017〕1号", "国办发(2017)1号"])
def test_number_1_never_finds_number_16(corpus: Corpus, query: str) -> None:
    ids = [h["id"] for h in search_json(corpus.data, query, "--limit", "50")["hits"]]
    assert ids[0] == corpus.ids["guoban-2017-1.txt"]
    assert corpus.ids["guoban-2017-16.txt"] not in ids


@pytest.mark.parametrize("query", ["〔2017〕16号", "国办发[2017]16号"])
def test_number_16_never_finds_number_1(corpus: Corpus, query: str) -> None:
    ids = [h["id"] for h in search_json(corpus.data, query, "--limit", "50")["hits"]]
    assert ids[0] == corpus.ids["guoban-2017-16.txt"]
    assert corpus.ids["guoban-2017-1.txt"] not in ids


@pytest.mark.parametrize(
    ("ref", "source"),
    [
        ("国办发〔2017〕1号", "guoban-2017-1.txt"),
        ("国办发(2017)1号", "guoban-2017-1.txt"),
        ("国办发〔2017〕16号", "guoban-2017-16.txt"),
        ("国办发[２０１７]16号", "guoban-2017-16.txt"),
    ],
)
def test_show_by_doc_number_is_exact(corpus: Corpus, ref: str, source: str) -> None:
    shown = cli_json(corpus.data, "show", "--json", "--no-text", ref)
    assert isinstance(shown, dict), "exactly one document expected"
    assert shown["id"] == corpus.ids[source]


def test_show_without_prefix_never_returns_the_other_number(corpus: Corpus) -> None:
    result = run_cli(corpus.data, "show", "--json", "--no-text", "〔2017〕1号")
    assert corpus.ids["guoban-2017-16.txt"] not in result.stdout
    assert result.exit_code in (0, 4)
