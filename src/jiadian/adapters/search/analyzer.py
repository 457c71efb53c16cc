"""Text into search terms: Chinese by word segmentation (rjieba, the jieba-rs binding), Latin words and
numbers case- and width-folded.

A product's searchable text and a shopper's query go through the same steps, so a word means the same
on both sides:

1. NFKC then casefold: full-width ``ＳＯＮＹ２`` is ``sony2``, ``iPhone`` is ``iphone``.
2. Runs of Han characters are segmented with jieba's dictionary (no HMM guessing, so the same run always
   gives the same words). A document keeps jieba's search-mode words (``笔记本电脑`` also gives ``笔记本``,
   ``电脑``) and every single character, so a query of one character (``扇``) or a word jieba does not
   know (split into characters) still finds it. A query keeps jieba's precise-mode words.
3. Other letters and digits are words split where letters meet digits: ``Mate40Pro`` gives ``mate``,
   ``40``, ``pro``, so "Mate 40 Pro" finds it. Everything else (spaces, punctuation, ``%``, ``_``,
   quotes) separates words and is never a term: a query of punctuation alone holds no term.

A document's terms carry the weight of the most important field they were found in; brand aliases add
the other side's terms to a document that holds every term of one side.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from functools import cached_property
from types import ModuleType

from jiadian.domain.search import Alias, fold

AliasTerms = tuple[list[str], list[str]]
MAX_TERM = 32  # characters; longer words are cut to this on both sides (the index column's size)

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"([{_HAN}]+)|([^\W_{_HAN}]+)")
_PIECES = re.compile(r"\d+|[^\W\d_]+")

# Words too common to mean anything in a product's text; a query is not refused for holding them.
STOPWORDS = frozenset({"的", "了", "和", "与", "及", "或", "是", "在", "也", "之"})

# Brand and product words jieba's dictionary lacks (it would split them into characters, which still
# match, but less precisely). Changing this list changes documents' terms: run `jiadian search reindex`.
EXTRA_WORDS = ("华凌", "拯救者", "天选", "戴森", "一加", "红米", "智慧屏", "挂烫机", "漫步者", "铁三角")


class Analyzer:
    """Terms of documents and queries. The first use loads jieba's dictionary (~0.5 s, ~30 MB; rjieba's
    own, shared by the process): `warm()` it before serving."""

    @cached_property
    def _jieba(self) -> ModuleType:
        import rjieba  # its import loads the dictionary into the module's default segmenter

        for word in EXTRA_WORDS:
            rjieba.add_word(word, None, None)
        return rjieba

    def warm(self) -> None:
        """Load the dictionary now (a server does it at start, not on its first search)."""
        self._jieba.cut("家电", False)

    def query_terms(self, text: str) -> list[str]:
        """The words a query holds, in order, each once."""
        return list(dict.fromkeys(self._terms(text, document=False)))

    def document_terms(self, text: str) -> set[str]:
        return set(self._terms(text, document=True))

    def _terms(self, text: str, *, document: bool) -> Iterable[str]:
        for han, other in _RUNS.findall(fold(text)):
            if han:
                words = self._jieba.cut_for_search(han, False) if document else self._jieba.cut(han, False)
                yield from (w for w in words if w not in STOPWORDS)
                if document:
                    yield from (c for c in han if c not in STOPWORDS)
            else:
                yield from (piece[:MAX_TERM] for piece in _PIECES.findall(other))

    def alias_terms(self, aliases: Iterable[Alias]) -> list[AliasTerms]:
        """Each alias's two sides as query terms (analyse them once for many documents)."""
        return [(self.query_terms(a.word), self.query_terms(a.other)) for a in aliases]

    def weighted_terms(
        self, fields: Sequence[tuple[str, int]], aliases: Sequence[AliasTerms] = ()
    ) -> dict[str, int]:
        """A document's terms with the weight of the best field holding each (fields are (text, weight)).

        An alias adds one side's terms to a field holding every term of the other side (aliases with no
        terms on a side are refused before they get here).
        """
        weights: dict[str, int] = {}
        for text, weight in fields:
            terms = self.document_terms(text)
            grown = True
            while grown:  # until no alias adds anything: one may add what another needs
                size = len(terms)
                for a, b in aliases:
                    if terms.issuperset(a) or terms.issuperset(b):
                        terms.update(a, b)
                grown = len(terms) > size
            for term in terms:
                if weights.get(term, 0) < weight:
                    weights[term] = weight
        return weights


@functools.cache
def shared_analyzer() -> Analyzer:
    """This process's analyzer: jieba's dictionary is loaded once, however many containers there are."""
    return Analyzer()
