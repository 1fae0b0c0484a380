"""The `relevant` language: what survey owners write parses, and means what ODK means by it."""

import pytest

from app.questionnaire.conditions import All, AnyOf, ConditionError, Equals, Not, Selected, parse


@pytest.mark.parametrize(
    "text, tree",
    [
        ("${q} = 'yes'", Equals("q", "yes")),
        ('${q}="yes"', Equals("q", "yes")),
        ("${q} != 'yes'", Equals("q", "yes", negate=True)),
        ("selected(${q}, 'a')", Selected("q", "a")),
        ("selected( ${q} ,'a' )", Selected("q", "a")),
        ("not(${q} = 'a')", Not(Equals("q", "a"))),
        ("${a} = 'x' and ${b} = 'y'", All((Equals("a", "x"), Equals("b", "y")))),
        ("${a} = 'x' or ${b} = 'y'", AnyOf((Equals("a", "x"), Equals("b", "y")))),
        # `and` binds tighter than `or`, as in XPath
        (
            "${a} = 'x' or ${b} = 'y' and ${c} = 'z'",
            AnyOf((Equals("a", "x"), All((Equals("b", "y"), Equals("c", "z"))))),
        ),
        (
            "(${a} = 'x' or ${b} = 'y') and ${c} = 'z'",
            All((AnyOf((Equals("a", "x"), Equals("b", "y"))), Equals("c", "z"))),
        ),
        ("((${q} = 'a'))", Equals("q", "a")),
        ("not(selected(${q}, 'a') or selected(${q}, 'b'))", Not(AnyOf((Selected("q", "a"), Selected("q", "b"))))),
        ("${q.v-2} = 'a-1.b'", Equals("q.v-2", "a-1.b")),
    ],
)
def test_supported_expressions_parse(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize(
    "text",
    [
        "${a} = 'x' or ${b} = 'y' and ${c} = 'z'",
        "(${a} = 'x' or ${b} = 'y') and not(selected(${c}, 'z'))",
        "${a} != 'x'",
    ],
)
def test_printed_form_parses_back_to_the_same_tree(text):
    assert parse(str(parse(text))) == parse(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("${age} > 18", "'>' is not supported"),
        ("${age} >= '18'", "not supported"),
        ("${age} = 18", "'18' is not supported"),
        ("${q} = 'a", "not closed"),
        ("${q = 'a'", "no closing }"),
        ("${a b} = 'x'", "not a question name"),
        ("${q} = ''", "empty code"),
        ("count-selected(${q}) = 'x'", "'count-selected' is not supported"),
        ("string-length(${q}) = 'x'", "'string-length' is not supported"),
        (". = 'x'", "'.' is not supported"),
        ("${q}", "expected = or !="),
        ("${q} = ${r}", "an option's name in quotes"),
        ("'a' = ${q}", "unexpected"),
        ("${a} = 'x' ${b} = 'y'", "join conditions with and / or"),
        ("${a} = 'x' and", "ends too early"),
        ("${a} = 'x' xor ${b} = 'y'", "'xor'"),
        ("not ${a} = 'x'", "'(' after not"),
        ("not(${a} = 'x'", "expected ')'"),
        ("(${a} = 'x'", "expected ')'"),
        ("selected(${q} 'a')", "','"),
        ("selected(${q}, a)", "quotes"),
        ("selected('a', ${q})", "${question}"),
        ("${a} = 'x' AND ${b} = 'y'", "'AND'"),
        ("true()", "'true' is not supported"),
    ],
)
def test_anything_else_is_a_clear_error(text, message):
    with pytest.raises(ConditionError) as error:
        parse(text)
    assert message in str(error.value)
    assert "Traceback" not in str(error.value)


@pytest.mark.parametrize(
    "text, answers, expected",
    [
        ("${q} = 'a'", {"q": "a"}, True),
        ("${q} = 'a'", {"q": "b"}, False),
        ("${q} = 'a'", {}, False),
        ("${q} != 'a'", {}, True),  # an unanswered question has the empty value
        ("${q} != 'a'", {"q": "a"}, False),
        ("${q} = 'a'", {"q": ["a"]}, True),  # a multiple choice equals 'a' only when 'a' alone is chosen
        ("${q} = 'a'", {"q": ["a", "b"]}, False),
        ("selected(${q}, 'a')", {"q": ["b", "a"]}, True),
        ("selected(${q}, 'a')", {"q": ["b"]}, False),
        ("selected(${q}, 'a')", {"q": "a"}, True),
        ("selected(${q}, 'a')", {"q": []}, False),
        ("not(selected(${q}, 'a'))", {"q": ["b"]}, True),
        ("${a} = 'x' and ${b} = 'y'", {"a": "x", "b": "y"}, True),
        ("${a} = 'x' and ${b} = 'y'", {"a": "x", "b": "n"}, False),
        ("${a} = 'x' or ${b} = 'y'", {"a": "n", "b": "y"}, True),
        ("${a} = 'x' or ${b} = 'y'", {"a": "n", "b": "n"}, False),
    ],
)
def test_meaning(text, answers, expected):
    assert parse(text).holds(answers) is expected


def test_an_answer_on_a_hidden_page_counts_as_empty():
    assert parse("${q} = 'a'").holds({"q": "a"}, hidden={"q"}) is False
    assert parse("${q} != 'a'").holds({"q": "a"}, hidden={"q"}) is True


def test_leaves_name_every_question_and_code():
    leaves = parse("(${a} = 'x' or selected(${b}, 'y')) and not(${c} != 'z')").leaves()
    assert [(leaf.question, leaf.code) for leaf in leaves] == [("a", "x"), ("b", "y"), ("c", "z")]
