"""What a document's own text says that the archive keeps beside it: the documents it names
(:class:`Reference`, the linker's ``refs``) and the end of its own 有效期 (:class:`Expiry`,
``text_expiry``). Importable from :mod:`archive.relations` too, which stores them."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Reference:
    """A document named in another document's text: by title, by 文号 or both.

    ``number_suffix`` is the canonical ``〔2018〕3号`` part and ``number_before`` the text just
    before it (see :class:`indexer.normalize.DocNumberMention`); ``title_key`` is the title in
    comparable form. ``type`` is what the sentence implies (``repeals`` for 同时废止 …)."""

    src: str
    type: str
    title_key: str = ""
    number_suffix: str = ""
    number_before: str = ""
    effective: str = ""
    evidence: str = ""
    id: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Expiry:
    """The end of a document's own 有效期: it is 失效 from ``expires`` (the first day after
    the period), because of ``clause`` (where and what: ``本文件第十条：有效期三年``);
    ``basis`` says where a period is counted from (``自 2018-06-01 起算``; "" for 有效期至……),
    ``evidence`` is the sentence."""

    doc_id: str
    expires: str  # YYYY-MM-DD, the first day the document is 失效
    clause: str
    basis: str = ""
    evidence: str = ""
    created_at: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
