"""A lexical scanner and declaration splitter for CUE source text (no evaluation, no dependencies).

It follows the lexical part of the CUE specification (cue-lang/cue ``doc/ref/spec.md``): line comments,
identifiers (``#Def``, ``_hidden``, ``_#x``, ``$x``), numbers, the four string forms (``"..."``,
``\"\"\"`` multi-line, ``'...'`` bytes, ``#"..."#`` raw with any number of ``#``) with ``\\(...)``
interpolations, attributes ``@x(...)``, operators and punctuation, and the newline rule that inserts
commas (recorded per token as ``nl_before`` so that parsers can apply it).

:class:`ParsedSource` then delimits declarations the way the CUE parser does: by explicit commas and by
the commas inserted at line ends, at bracket depth 0. That is enough to find the package clause,
imports, fields with their labels and values, embeddings, comprehensions and ``let`` clauses without a
full expression parser.

Positions: ``line`` and ``col`` are 1-based; ``col`` counts characters (code points), not bytes as the Go
CUE tools do, so both agree on ASCII lines.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass, field

__all__ = [
    "CueSyntaxError",
    "Decl",
    "LineIndex",
    "ParsedSource",
    "Span",
    "Token",
    "parse",
    "tokenize",
    "unquote_string",
]


@dataclass(frozen=True)
class Span:
    """A region of the source: ``text[start:end]``; ``line``/``col`` (1-based) locate ``start``."""

    start: int
    end: int
    line: int
    col: int


class CueSyntaxError(Exception):
    """A lexical or structural error (unterminated string, unbalanced bracket, illegal character)."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(f"{line}:{col}: {message}")
        self.message = message
        self.line = line
        self.col = col


class LineIndex:
    """Maps offsets of one text to 1-based (line, col)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = [0]
        pos = text.find("\n")
        while pos != -1:
            self._starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def span(self, start: int, end: int) -> Span:
        line, col = self.position(start)
        return Span(start, end, line, col)

    def line_start(self, line: int) -> int:
        return self._starts[line - 1]

    @property
    def line_count(self) -> int:
        return len(self._starts)


# Token kinds.
IDENT = "ident"  # identifiers and keywords (package, import, for, in, if, let, true, false, null, ...)
NUMBER = "number"
STRING = "string"  # any string or bytes literal, interpolations included
BOTTOM = "bottom"  # _|_
ATTRIBUTE = "attribute"  # @name(...)
PUNCT = "punct"  # operators and punctuation
COMMENT = "comment"

# Tokens after which a newline (or a comment, which acts like one) inserts a comma (spec "Commas").
_COMMA_TRIGGERS_PUNCT = frozenset({")", "]", "}", "?", "..."})

_PUNCTS_3 = ("...",)
_PUNCTS_2 = ("&&", "||", "==", "!=", "=~", "!~", "<=", ">=")
_PUNCTS_1 = frozenset("+-*/&|<>=:{}()[],.?!")


@dataclass(frozen=True)
class Token:
    """One token. For strings, ``parts`` holds the tokens of each ``\\(...)`` interpolation."""

    kind: str
    text: str
    start: int
    end: int
    line: int
    col: int
    nl_before: bool = False  # a newline or comment separates it from the previous significant token
    parts: tuple[tuple[Token, ...], ...] = field(default=(), repr=False)
    multiline: bool = False  # string literals: triple-quoted

    @property
    def triggers_comma(self) -> bool:
        """Whether a newline right after this token stands for a comma."""
        if self.kind in (IDENT, NUMBER, STRING, BOTTOM, ATTRIBUTE):
            return True
        return self.kind == PUNCT and self.text in _COMMA_TRIGGERS_PUNCT

    def is_punct(self, text: str) -> bool:
        return self.kind == PUNCT and self.text == text


def _is_letter(ch: str) -> bool:
    return ch == "_" or ch == "$" or ch.isalpha()


def _is_ident_char(ch: str) -> bool:
    return ch == "_" or ch == "$" or ch.isalnum()


class _Scanner:
    def __init__(self, text: str, index: LineIndex, keep_comments: bool) -> None:
        self.text = text
        self.n = len(text)
        self.index = index
        self.keep_comments = keep_comments

    def error(self, message: str, offset: int) -> CueSyntaxError:
        line, col = self.index.position(offset)
        return CueSyntaxError(message, line, col)

    def make(
        self,
        kind: str,
        start: int,
        end: int,
        nl: bool,
        parts: tuple[tuple[Token, ...], ...] = (),
        multiline: bool = False,
    ) -> Token:
        line, col = self.index.position(start)
        return Token(kind, self.text[start:end], start, end, line, col, nl, parts, multiline)

    def scan(self, pos: int, in_interpolation: bool) -> tuple[list[Token], int]:
        """Scans tokens from ``pos``; inside an interpolation, stops after its closing ``)``."""
        text, n = self.text, self.n
        tokens: list[Token] = []
        nl = False
        depth = 0
        prev_operand = False  # a number cannot start with "." right after an operand
        if pos == 0 and text.startswith("\ufeff"):
            pos = 1
        while True:
            while pos < n and text[pos] in " \t\r\n":
                if text[pos] == "\n":
                    nl = True
                pos += 1
            if pos >= n:
                if in_interpolation:
                    raise self.error("interpolation not terminated", pos)
                return tokens, pos
            ch = text[pos]
            start = pos
            if ch == "/" and text.startswith("//", pos):
                end = text.find("\n", pos)
                end = n if end == -1 else end
                if self.keep_comments:
                    tokens.append(self.make(COMMENT, start, end, nl))
                nl = True  # "A comment acts like a newline."
                pos = end
                continue
            if ch == '"' or ch == "'" or (ch == "#" and self._raw_string_ahead(pos)):
                tok, pos = self.scan_string(pos, nl)
            elif ch == "@":
                tok, pos = self.scan_attribute(pos, nl)
            elif text.startswith("_|_", pos):
                pos += 3
                tok = self.make(BOTTOM, start, pos, nl)
            elif _is_letter(ch) or (ch == "#" and pos + 1 < n and _is_letter(text[pos + 1])):
                pos = self.scan_ident(pos)
                tok = self.make(IDENT, start, pos, nl)
            elif ch.isdigit() or (ch == "." and not prev_operand and pos + 1 < n and text[pos + 1].isdigit()):
                pos = self.scan_number(pos)
                tok = self.make(NUMBER, start, pos, nl)
            else:
                for cand in (*_PUNCTS_3, *_PUNCTS_2):
                    if text.startswith(cand, pos):
                        pos += len(cand)
                        break
                else:
                    if ch not in _PUNCTS_1:
                        raise self.error(f"illegal character {ch!r} (U+{ord(ch):04X})", pos)
                    pos += 1
                tok = self.make(PUNCT, start, pos, nl)
                if in_interpolation:
                    if tok.text in "([{":
                        depth += 1
                    elif tok.text in ")]}":
                        if depth == 0:
                            if tok.text != ")":
                                raise self.error(f"unexpected {tok.text!r} in interpolation", start)
                            return tokens, pos
                        depth -= 1
            tokens.append(tok)
            prev_operand = tok.triggers_comma and tok.kind != ATTRIBUTE
            nl = False

    def _raw_string_ahead(self, pos: int) -> bool:
        while pos < self.n and self.text[pos] == "#":
            pos += 1
        return pos < self.n and self.text[pos] in "\"'"

    def scan_ident(self, pos: int) -> int:
        text, n = self.text, self.n
        if text.startswith("_#", pos):
            pos += 2
        elif text[pos] == "#":
            pos += 1
        while pos < n and _is_ident_char(text[pos]):
            pos += 1
        return pos

    def scan_number(self, pos: int) -> int:
        text, n = self.text, self.n
        while pos < n:
            ch = text[pos]
            if ch.isalnum() or ch == "_":
                pos += 1
                if ch in "eE" and pos < n and text[pos] in "+-" and not text.startswith(("0x", "0X"), pos):
                    pos += 1
            elif ch == "." and pos + 1 < n and text[pos + 1] != ".":
                pos += 1
            else:
                break
        return pos

    def scan_string(self, pos: int, nl: bool) -> tuple[Token, int]:
        text, n = self.text, self.n
        start = pos
        hashes = 0
        while text[pos] == "#":
            hashes += 1
            pos += 1
        quote = text[pos]
        multiline = text.startswith(quote * 3, pos)
        if multiline:
            pos += 3
            if text.startswith("\r\n", pos):
                pos += 2
            elif pos < n and text[pos] == "\n":
                pos += 1
            else:
                raise self.error("expected newline after multiline quote", pos)
            close = quote * 3 + "#" * hashes
        else:
            pos += 1
            close = quote + "#" * hashes
        escape = "\\" + "#" * hashes
        parts: list[tuple[Token, ...]] = []
        while True:
            if pos >= n:
                raise self.error("string literal not terminated", start)
            ch = text[pos]
            if text.startswith(close, pos):
                pos += len(close)
                break
            if ch == "\\" and text.startswith(escape, pos):
                pos += len(escape)
                if pos < n and text[pos] == "(":
                    inner, pos = self.scan(pos + 1, in_interpolation=True)
                    parts.append(tuple(inner))
                    continue
                if pos >= n:
                    raise self.error("string literal not terminated", start)
                if text[pos] == "\n" and not multiline:
                    raise self.error("string literal not terminated", start)
                pos += 1  # the escaped character (\n, \", \u..., a line continuation, ...)
                continue
            if ch == "\n" and not multiline:
                raise self.error("string literal not terminated", start)
            pos += 1
        return self.make(STRING, start, pos, nl, parts=tuple(parts), multiline=multiline), pos

    def scan_attribute(self, pos: int, nl: bool) -> tuple[Token, int]:
        text, n = self.text, self.n
        start = pos
        pos += 1
        if pos >= n or not (_is_letter(text[pos]) or text[pos] == "#"):
            raise self.error("invalid attribute: expected identifier after '@'", start)
        pos = self.scan_ident(pos)
        if pos >= n or text[pos] != "(":
            raise self.error("invalid attribute: expected '('", pos)
        depth = 0
        while True:
            if pos >= n:
                raise self.error("attribute not terminated", start)
            ch = text[pos]
            if ch == '"' or ch == "'" or (ch == "#" and self._raw_string_ahead(pos)):
                _, pos = self.scan_string(pos, False)
                continue
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
                if depth == 0:
                    pos += 1
                    break
            elif ch == "\n":
                raise self.error("attribute not terminated", start)
            pos += 1
        return self.make(ATTRIBUTE, start, pos, nl), pos


def tokenize(text: str, *, keep_comments: bool = False) -> list[Token]:
    """Splits ``text`` into tokens (comments only if ``keep_comments``); raises :class:`CueSyntaxError`."""
    scanner = _Scanner(text, LineIndex(text), keep_comments)
    tokens, _ = scanner.scan(0, in_interpolation=False)
    return tokens


# -- declarations ------------------------------------------------------------------------------------

_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {")", "]", "}"}


@dataclass(frozen=True)
class Decl:
    """A declaration as token indices into :attr:`ParsedSource.tokens` (``last`` is exclusive)."""

    kind: str
    first: int
    last: int
    label: str | None = None
    label_kind: str = ""
    label_first: int = -1
    label_last: int = -1
    constraint: str = ""
    value_first: int = -1
    value_last: int = -1


class ParsedSource:
    """Tokens of a CUE text with matched brackets and its top-level declarations; the comments apart
    (``comments``), so that doc comments can be read without a second scan."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = LineIndex(text)
        scanned = _Scanner(text, self.index, keep_comments=True).scan(0, in_interpolation=False)[0]
        self.tokens = [t for t in scanned if t.kind != COMMENT]
        self.comments = [t for t in scanned if t.kind == COMMENT]
        self.match = _match_brackets(self.tokens)
        self.decls = self.split(0, len(self.tokens))

    def span(self, first: int, last: int) -> Span:
        """The span from token ``first`` through token ``last - 1``."""
        if last <= first:
            offset = self.tokens[first].start if first < len(self.tokens) else len(self.text)
            return self.index.span(offset, offset)
        return self.index.span(self.tokens[first].start, self.tokens[last - 1].end)

    def source(self, first: int, last: int) -> str:
        span = self.span(first, last)
        return self.text[span.start : span.end]

    def split(self, lo: int, hi: int) -> list[Decl]:
        """The declarations of the token range ``[lo, hi)`` (a file, or the inside of a struct)."""
        return [self._classify(a, b) for a, b in self.ranges(lo, hi)]

    def struct_elements(self, first: int, last: int) -> list[Decl] | None:
        """The declarations of a struct-literal value spanning ``[first, last)``, else ``None``.

        A brace-delimited literal gives its inner declarations; a label chain (``a: b: c``) is a struct
        with one implicit field, as in CUE's AST.
        """
        if last <= first:
            return None
        tok = self.tokens[first]
        if tok.is_punct("{") and self.match[first] == last - 1:
            return self.split(first + 1, last - 1)
        decls = self.split(first, last)
        if len(decls) == 1 and decls[0].kind == "field":
            return decls
        return None

    # -- internals ------------------------------------------------------------------------------------

    def ranges(self, lo: int, hi: int) -> list[tuple[int, int]]:
        toks, match = self.tokens, self.match
        out: list[tuple[int, int]] = []
        k = lo
        while k < hi:
            start = k
            comp = self.starts_comprehension(k, hi)
            end = hi
            while k < hi:
                tok = toks[k]
                if tok.kind == "punct" and tok.text in _OPENERS:
                    k = match[k]
                    tok = toks[k]
                if tok.is_punct(","):
                    # Inside comprehension clauses (`for k, v in x`) commas do not end the declaration.
                    if not comp or (k > start and toks[k - 1].is_punct("}")):
                        end = k
                        k += 1
                        break
                elif (
                    k + 1 < hi
                    and toks[k + 1].nl_before
                    and tok.triggers_comma
                    and (not comp or tok.is_punct("}"))
                ):
                    end = k + 1
                    k += 1
                    break
                k += 1
            if end > start:
                out.append((start, end))
        return out

    def starts_comprehension(self, k: int, hi: int) -> bool:
        tok = self.tokens[k]
        if tok.kind != IDENT or tok.text not in ("for", "if") or k + 1 >= hi:
            return False
        nxt = self.tokens[k + 1]
        if nxt.is_punct(":"):
            return False
        return not (
            nxt.kind == "punct" and nxt.text in ("?", "!") and k + 2 < hi and self.tokens[k + 2].is_punct(":")
        )

    def _classify(self, first: int, last: int) -> Decl:
        toks = self.tokens
        tok = toks[first]
        n = last - first
        if tok.kind == IDENT:
            if tok.text == "package" and n == 2 and toks[first + 1].kind == IDENT:
                return Decl("package", first, last, toks[first + 1].text, "ident", first + 1, first + 2)
            if tok.text == "import" and n >= 2:
                nxt = toks[first + 1]
                if (
                    nxt.kind == STRING
                    or nxt.is_punct("(")
                    or (nxt.kind == IDENT and n >= 3 and toks[first + 2].kind == STRING)
                ):
                    return Decl("import", first, last)
            if (
                tok.text == "let"
                and n >= 3
                and toks[first + 1].kind == IDENT
                and toks[first + 2].is_punct("=")
            ):
                return Decl(
                    "let",
                    first,
                    last,
                    toks[first + 1].text,
                    "ident",
                    first + 1,
                    first + 2,
                    value_first=first + 3,
                    value_last=last,
                )
            if self.starts_comprehension(first, last):
                return Decl("comprehension", first, last)
        if tok.kind == ATTRIBUTE and n == 1:
            return Decl("attribute", first, last)
        if tok.is_punct("..."):
            return Decl("ellipsis", first, last)
        field = self._match_field(first, last)
        return field if field is not None else Decl("embed", first, last)

    def _match_field(self, first: int, last: int) -> Decl | None:
        toks = self.tokens
        k = first
        if k + 2 < last and toks[k].kind == IDENT and toks[k + 1].is_punct("="):
            k += 2  # label alias `X=label:`
        tok = toks[k]
        label: str | None = None
        label_first = k
        if tok.kind == IDENT:
            label, kind = tok.text, "ident"
            k += 1
        elif tok.kind == STRING and not tok.multiline:
            label = unquote_string(tok.text) if not tok.parts else None
            kind = "string" if label is not None else "dynamic"
            k += 1
        elif tok.is_punct("(") or tok.is_punct("["):
            kind = "dynamic" if tok.text == "(" else "pattern"
            k = self.match[k] + 1
        else:
            return None
        label_last = k
        constraint = ""
        if k < last and toks[k].kind == "punct" and toks[k].text in ("?", "!"):
            constraint = toks[k].text
            k += 1
        if k >= last or not toks[k].is_punct(":"):
            return None
        value_last = last
        while value_last > k + 1 and toks[value_last - 1].kind == ATTRIBUTE:
            value_last -= 1
        return Decl("field", first, last, label, kind, label_first, label_last, constraint, k + 1, value_last)


@functools.lru_cache(maxsize=256)
def parse(text: str) -> ParsedSource:
    """The :class:`ParsedSource` of ``text``, lexed once per process for each distinct text: every
    reader of the same file (render, lint, package; the header, the declarations, the imports) shares
    it. Treat it as read-only. Raises :class:`CueSyntaxError` (not remembered: a file that does not scan
    is reported once and read no further)."""
    return ParsedSource(text)


def _match_brackets(tokens: list[Token]) -> list[int]:
    match = [-1] * len(tokens)
    stack: list[int] = []
    for i, tok in enumerate(tokens):
        if tok.kind != "punct":
            continue
        if tok.text in _OPENERS:
            stack.append(i)
        elif tok.text in _CLOSERS:
            if not stack:
                raise CueSyntaxError(f"unexpected {tok.text!r}", tok.line, tok.col)
            j = stack.pop()
            want = _OPENERS[tokens[j].text]
            if tok.text != want:
                raise CueSyntaxError(f"expected {want!r}, found {tok.text!r}", tok.line, tok.col)
            match[i], match[j] = j, i
    if stack:
        opener = tokens[stack[-1]]
        raise CueSyntaxError(
            f"{opener.text!r} is not closed (expected {_OPENERS[opener.text]!r} before end of file)",
            opener.line,
            opener.col,
        )
    return match


_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "/": "/",
    "\\": "\\",
    "'": "'",
    '"': '"',
}


def _all_in(digits: str, width: int, allowed: str) -> bool:
    return len(digits) == width and all(c in allowed for c in digits)


def unquote_string(literal: str) -> str | None:
    """The value of a single-line CUE string literal (``"..."``, ``'...'``, ``#"..."#``) without
    interpolations; ``None`` if it is not one."""
    hashes = len(literal) - len(literal.lstrip("#"))
    body = literal[hashes : len(literal) - hashes] if hashes else literal
    if len(body) < 2 or body[0] not in "\"'" or body[-1] != body[0] or body.startswith(body[0] * 3):
        return None
    body = body[1:-1]
    escape = "\\" + "#" * hashes
    out: list[str] = []
    i = 0
    while i < len(body):
        if not body.startswith(escape, i):
            out.append(body[i])
            i += 1
            continue
        i += len(escape)
        if i >= len(body):
            return None
        ch = body[i]
        if ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
            i += 1
        elif ch in "uU":
            width = 4 if ch == "u" else 8
            digits = body[i + 1 : i + 1 + width]
            if not _all_in(digits, width, "0123456789abcdefABCDEF"):
                return None
            out.append(chr(int(digits, 16)))
            i += 1 + width
        elif ch == "x" and _all_in(body[i + 1 : i + 3], 2, "0123456789abcdefABCDEF"):
            out.append(chr(int(body[i + 1 : i + 3], 16)))
            i += 3
        elif ch in "01234567" and _all_in(body[i : i + 3], 3, "01234567"):
            out.append(chr(int(body[i : i + 3], 8)))
            i += 3
        else:  # `\(` interpolation or an invalid escape
            return None
    return "".join(out)
