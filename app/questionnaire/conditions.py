"""The small `relevant` language of an XLSForm, parsed once at load into a tree the engine evaluates.

Supported, as survey owners write it:

    ${q} = 'code'        ${q} != 'code'        selected(${q}, 'code')
    A and B              A or B                not(A)                 ( A )

`and` binds tighter than `or`, as in XPath. Anything else (numbers, `>`, other functions, `.`) is a
parse error with a message that says what is supported.

Why a hand-written recursive-descent parser: XLSForm's `relevant` is an XPath 1.0 subset. The Python
XPath engines (lxml, elementpath) evaluate against an XML document, so answers would have to become
an XForm instance first; pyxform only rewrites `${q}` into paths and leaves the XPath as text for
ODK's JavaScript engine. Nothing turns the expression into something evaluable over a dict of answers
without pulling a whole platform, and this subset is about a hundred lines.

Meaning, as in ODK: a question that is not answered (or whose page is hidden) has the empty value, so
`${q} != 'x'` holds and `${q} = 'x'` and `selected(${q}, 'x')` do not. For a multiple choice, `=` is
true only when exactly that one option is chosen; use `selected()` for "chosen among others".
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass


class ConditionError(ValueError):
    """An expression outside the supported subset; the message says what was expected."""


@dataclass(frozen=True)
class Equals:
    """`${question} = 'code'`, or with negate `${question} != 'code'`."""

    question: str
    code: str
    negate: bool = False

    def holds(self, answers: dict, hidden: frozenset | set = frozenset()) -> bool:
        value = None if self.question in hidden else answers.get(self.question)
        equal = value == [self.code] if isinstance(value, list) else value == self.code
        return equal != self.negate

    def leaves(self) -> Iterator["Equals | Selected"]:
        yield self

    def __str__(self) -> str:
        return f"${{{self.question}}} {'!=' if self.negate else '='} '{self.code}'"


@dataclass(frozen=True)
class Selected:
    """`selected(${question}, 'code')`: the option is among the chosen ones."""

    question: str
    code: str

    def holds(self, answers: dict, hidden: frozenset | set = frozenset()) -> bool:
        value = None if self.question in hidden else answers.get(self.question)
        return self.code in value if isinstance(value, list) else value == self.code

    def leaves(self) -> Iterator["Equals | Selected"]:
        yield self

    def __str__(self) -> str:
        return f"selected(${{{self.question}}}, '{self.code}')"


@dataclass(frozen=True)
class Not:
    part: "Condition"

    def holds(self, answers: dict, hidden: frozenset | set = frozenset()) -> bool:
        return not self.part.holds(answers, hidden)

    def leaves(self) -> Iterator["Equals | Selected"]:
        yield from self.part.leaves()

    def __str__(self) -> str:
        return f"not({self.part})"


@dataclass(frozen=True)
class All:
    """`A and B and ...`"""

    parts: tuple["Condition", ...]

    def holds(self, answers: dict, hidden: frozenset | set = frozenset()) -> bool:
        return all(part.holds(answers, hidden) for part in self.parts)

    def leaves(self) -> Iterator["Equals | Selected"]:
        for part in self.parts:
            yield from part.leaves()

    def __str__(self) -> str:
        return " and ".join(f"({part})" if isinstance(part, AnyOf) else str(part) for part in self.parts)


@dataclass(frozen=True)
class AnyOf:
    """`A or B or ...`"""

    parts: tuple["Condition", ...]

    def holds(self, answers: dict, hidden: frozenset | set = frozenset()) -> bool:
        return any(part.holds(answers, hidden) for part in self.parts)

    def leaves(self) -> Iterator["Equals | Selected"]:
        for part in self.parts:
            yield from part.leaves()

    def __str__(self) -> str:
        return " or ".join(str(part) for part in self.parts)


Condition = Equals | Selected | Not | All | AnyOf

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\$\{[^}]*\})
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<op>!=|=|\(|\)|,)
    | (?P<word>[A-Za-z_][A-Za-z0-9_:-]*)
    | (?P<other>\S+?)(?=\s|\$|'|"|=|!|\(|\)|,|$)
    )""",
    re.VERBOSE,
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
MAX_DEPTH = 32  # brackets and not(...) inside each other; the recursion would otherwise hit Python's limit
MAX_LENGTH = 2_000  # characters; the shipped file's longest condition has under 200
_SUPPORTED = "the supported forms are ${q} = 'code', ${q} != 'code', selected(${q}, 'code'), and, or, not(...), (...)"


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if not match or match.lastgroup is None:
            raise ConditionError(f"cannot read {text[position:].strip()!r}; {_SUPPORTED}")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "other" and value[0] in "'\"":
            raise ConditionError(f"the quote in {value!r} is not closed")
        if kind == "other" and value.startswith("${"):
            raise ConditionError(f"{value!r} has no closing }}")
        if kind == "other":
            raise ConditionError(f"{value!r} is not supported; {_SUPPORTED}")
        if kind == "ref" and not _NAME.fullmatch(value[2:-1]):
            raise ConditionError(f"{value!r} is not a question name")
        if kind == "string" and not value[1:-1]:
            raise ConditionError("an empty code '' is not supported; compare with an option's name")
        tokens.append((kind, value))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.at = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None, expected: str = "") -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            found = "the end" if token is None else repr(token[1])
            raise ConditionError(f"expected {expected or repr(value)} but found {found}")
        self.at += 1
        return token[1]

    def word(self, value: str) -> bool:
        token = self.peek()
        if token == ("word", value):
            self.at += 1
            return True
        return False

    def expression(self) -> Condition:
        parts = [self.conjunction()]
        while self.word("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def conjunction(self) -> Condition:
        parts = [self.unary()]
        while self.word("and"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def bracketed(self) -> Condition:
        """The expression inside brackets (the '(' taken), and its ')'."""
        if self.depth == MAX_DEPTH:
            raise ConditionError(f"brackets and not(...) are nested more than {MAX_DEPTH} deep; write a simpler condition")
        self.depth += 1
        inner = self.expression()
        self.depth -= 1
        self.take("op", ")", "')'")
        return inner

    def unary(self) -> Condition:
        token = self.peek()
        if token is None:
            raise ConditionError(f"the expression ends too early; {_SUPPORTED}")
        kind, value = token
        if kind == "op" and value == "(":
            self.at += 1
            return self.bracketed()
        if kind == "word" and value == "not":
            self.at += 1
            self.take("op", "(", "'(' after not")
            return Not(self.bracketed())
        if kind == "word" and value == "selected":
            self.at += 1
            self.take("op", "(", "'(' after selected")
            question = self.take("ref", expected="${question} in selected(...)")[2:-1]
            self.take("op", ",", "',' in selected(${q}, 'code')")
            code = self.take("string", expected="an option's name in quotes in selected(${q}, 'code')")[1:-1]
            self.take("op", ")", "')'")
            return Selected(question, code)
        if kind == "ref":
            self.at += 1
            operator = self.peek()
            if operator not in (("op", "="), ("op", "!=")):
                found = "the end" if operator is None else repr(operator[1])
                raise ConditionError(f"expected = or != after {value} but found {found}; {_SUPPORTED}")
            self.at += 1
            code = self.take("string", expected=f"an option's name in quotes after {value} {operator[1]}")
            return Equals(value[2:-1], code[1:-1], negate=operator[1] == "!=")
        if kind == "word":
            raise ConditionError(f"{value!r} is not supported; {_SUPPORTED}")
        raise ConditionError(f"unexpected {value!r}; {_SUPPORTED}")


def parse(text: str) -> Condition:
    """Parse a `relevant` expression; raises ConditionError with a message a survey owner can act on."""
    if not text or not text.strip():
        raise ConditionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"the expression is longer than {MAX_LENGTH:,} characters; write a simpler condition")
    parser = _Parser(text)
    condition = parser.expression()
    if parser.peek() is not None:
        raise ConditionError(f"unexpected {parser.peek()[1]!r} after a complete condition; join conditions with and / or")
    return condition
