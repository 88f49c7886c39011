"""Finding list arithmetic (`[a] + b`, `[a] * 3`) lexically, for CUE ≥ v0.11 which rejects it.

There are no types without evaluation, so the heuristic is deliberately narrow (a false alarm teaches
users to ignore the rule):

* only binary `+` and `*` count: an operator right after `:`, `(`, `,`, `|`, `&`, another operator or
  at the start of a line is unary (`*"x" | string` is a default marker, not a product);
* an operand is "a list" when it is a list literal or comprehension (`[...]`, `[for x in y {...}]`,
  not an index `x[0]`), or a reference (`a`, `a.b.c`) whose last label is declared in the same file
  — or, for `parameter.…` references, in the addon's parameter file — only ever with a list value:
  a literal, a `[...T]` type, or a default list (`*[] | [...string]`). A label also declared with any
  other value is ambiguous and ignored;
* operands are simple expressions: literals, references, calls, indexes and parenthesised groups.
  Precedence is not modelled beyond chains of the same operator (`a + b + c` is one finding).

So `"a" + "b"`, `x + 1`, `strings.Join(a) + "x"` never trigger; a list reached through a function call
or a field of another file (other than parameters) is missed.
"""

from __future__ import annotations

from dataclasses import dataclass

from veladdon.cue.source import BOTTOM, IDENT, NUMBER, STRING, Decl, ParsedSource, Token

Decls = list[Decl]

_OPERAND_END = frozenset({IDENT, NUMBER, STRING, BOTTOM})
_MAX_TEXT = 40


@dataclass(frozen=True)
class ListArithmetic:
    line: int
    col: int
    op: str  # "+" or "*"
    expression: str  # the source, whitespace collapsed
    replacement: str  # list.Concat([...]) / list.Repeat(...)


def _ends_operand(tok: Token) -> bool:
    return tok.kind in _OPERAND_END or (tok.kind == "punct" and tok.text in (")", "]", "}"))


def list_labels(ps: ParsedSource) -> dict[str, bool]:
    """Every field label of the file (at any depth) → whether all its values are lists."""
    out: dict[str, bool] = {}

    def visit(decls: Decls) -> None:
        for decl in decls:
            if decl.kind == "field" and decl.label is not None and decl.value_first >= 0:
                is_list = _value_is_list(ps, decl.value_first, decl.value_last)
                out[decl.label] = out.get(decl.label, True) and is_list
            lo = decl.value_first if decl.value_first >= 0 else decl.first
            _visit_structs(ps, lo, decl.last, visit)

    visit(ps.decls)
    return out


def _visit_structs(ps: ParsedSource, lo: int, hi: int, visit: object) -> None:
    """Descend into every `{...}` between lo and hi (struct bodies, comprehension bodies)."""
    k = lo
    while k < hi:
        tok = ps.tokens[k]
        if tok.is_punct("{"):
            end = ps.match[k]
            visit(ps.split(k + 1, end))  # type: ignore[operator]
            k = end + 1
            continue
        k += 1


def _value_is_list(ps: ParsedSource, first: int, last: int) -> bool:
    toks = ps.tokens
    if first >= last:
        return False
    tok = toks[first]
    if tok.is_punct("*") and first + 1 < last:
        tok = toks[first + 1]
        first += 1
    if not tok.is_punct("["):
        return False
    end = ps.match[first]
    # `[...] | [...T]` or a single list: every alternative must be a list.
    k = end + 1
    while k < last:
        if not toks[k].is_punct("|"):
            return False
        k += 1
        if k < last and toks[k].is_punct("*"):
            k += 1
        if k >= last or not toks[k].is_punct("["):
            return False
        k = ps.match[k] + 1
    return True


def _operand_before(ps: ParsedSource, j: int) -> int:
    """The first token index of the simple operand that ends at token j (inclusive)."""
    toks = ps.tokens
    k = j
    while True:
        tok = toks[k]
        if tok.kind == "punct" and tok.text in (")", "]", "}"):
            k = ps.match[k]
            prev = toks[k - 1] if k > 0 else None
            if (
                toks[k].text in "(["
                and prev is not None
                and not toks[k].nl_before
                and (prev.kind == IDENT or prev.is_punct(")") or prev.is_punct("]"))
            ):
                k -= 1  # a call or an index: the operand goes on to the left
                continue
            return k
        if k >= 2 and toks[k - 1].is_punct(".") and tok.kind == IDENT:
            k -= 2
            continue
        return k


def _operand_after(ps: ParsedSource, i: int) -> int:
    """One past the last token of the simple operand starting at token i."""
    toks = ps.tokens
    n = len(toks)
    tok = toks[i]
    if tok.kind == "punct" and tok.text in ("(", "[", "{"):
        k = ps.match[i] + 1
    elif tok.kind in _OPERAND_END:
        k = i + 1
    else:
        return i
    while k < n:
        nxt = toks[k]
        if nxt.is_punct(".") and k + 1 < n and toks[k + 1].kind == IDENT:
            k += 2
        elif nxt.kind == "punct" and nxt.text in ("(", "[") and not nxt.nl_before:
            k = ps.match[k] + 1
        else:
            break
    return k


class _Scanner:
    def __init__(self, ps: ParsedSource, labels: dict[str, bool], parameter_labels: dict[str, bool]) -> None:
        self.ps = ps
        self.labels = labels
        self.parameter_labels = parameter_labels

    def is_binary(self, k: int) -> bool:
        toks = self.ps.tokens
        if k == 0:
            return False
        tok, prev = toks[k], toks[k - 1]
        if tok.nl_before and prev.triggers_comma:
            return False
        return _ends_operand(prev)

    def is_list(self, first: int, last: int) -> bool:
        toks = self.ps.tokens
        if last <= first:
            return False
        if toks[first].is_punct("[") and self.ps.match[first] == last - 1:
            return True
        if toks[first].is_punct("(") and self.ps.match[first] == last - 1:
            return self.is_list(first + 1, last - 1)
        parts = toks[first:last]
        if not all(t.kind == IDENT if i % 2 == 0 else t.is_punct(".") for i, t in enumerate(parts)):
            return False
        if len(parts) % 2 == 0:
            return False
        names = [t.text for t in parts[::2]]
        label = names[-1]
        if names[0] == "parameter" and len(names) > 1 and label in self.parameter_labels:
            return self.parameter_labels[label] and self.labels.get(label, True)
        return self.labels.get(label, False)

    def text(self, first: int, last: int) -> str:
        toks = self.ps.tokens
        raw = self.ps.text[toks[first].start : toks[last - 1].end]
        flat = " ".join(raw.split())
        if len(flat) > _MAX_TEXT:
            if toks[first].is_punct("[") and self.ps.match[first] == last - 1:
                return "[…]"
            return flat[: _MAX_TEXT - 1] + "…"
        return flat

    def scan(self) -> list[ListArithmetic]:
        toks = self.ps.tokens
        done: set[int] = set()
        found: list[ListArithmetic] = []
        for k, tok in enumerate(toks):
            if tok.kind != "punct" or tok.text not in ("+", "*") or k in done or k + 1 >= len(toks):
                continue
            if not self.is_binary(k):
                continue
            # Collect the chain of the same operator: operands[i] = (first, last).
            op = tok.text
            first = _operand_before(self.ps, k - 1)
            operands = [(first, k)]
            ops = [k]
            while first >= 2 and toks[first - 1].is_punct(op) and self.is_binary(first - 1):
                ops.insert(0, first - 1)
                prev_first = _operand_before(self.ps, first - 2)
                operands.insert(0, (prev_first, first - 1))
                first = prev_first
            j = k + 1
            while True:
                end = _operand_after(self.ps, j)
                if end == j:
                    break
                operands.append((j, end))
                if end < len(toks) and toks[end].is_punct(op) and self.is_binary(end):
                    ops.append(end)
                    j = end + 1
                    continue
                break
            done.update(ops)
            if len(operands) < 2 or not any(self.is_list(a, b) for a, b in operands):
                continue
            texts = [self.text(a, b) for a, b in operands]
            if op == "+":
                replacement = f"list.Concat([{', '.join(texts)}])"
            else:
                lists = [t for (a, b), t in zip(operands, texts, strict=True) if self.is_list(a, b)]
                others = [t for (a, b), t in zip(operands, texts, strict=True) if not self.is_list(a, b)]
                replacement = f"list.Repeat({(lists or ['…'])[0]}, {(others or ['n'])[0]})"
            start = toks[operands[0][0]]
            found.append(ListArithmetic(start.line, start.col, op, f" {op} ".join(texts), replacement))
        return found


def find_list_arithmetic(ps: ParsedSource, parameter: ParsedSource | None = None) -> list[ListArithmetic]:
    """Every `+`/`*` expression of the file with a list operand, per the module's heuristic."""
    labels = list_labels(ps)
    parameter_labels = list_labels(parameter) if parameter is not None else {}
    return _Scanner(ps, labels, parameter_labels).scan()


__all__ = ["ListArithmetic", "find_list_arithmetic", "list_labels"]
