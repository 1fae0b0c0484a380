"""The questionnaire as readable text in one language (`flask survey show`), so a change to the binary
spreadsheet can be reviewed as a diff of two printouts."""

from app.questionnaire.model import Kind, Page, Questionnaire, Text


def text_in(text, language: str) -> str:
    """A text of the model in one language ("" for none): a spreadsheet's Text, or a plain string."""
    if text is None:
        return ""
    return text.in_language(language) if isinstance(text, Text) else str(text)


def condition_text(questionnaire: Questionnaire, page: Page) -> str:
    """When the page is shown, in the `relevant` language of XLSForm (conditions.py); "" if always."""
    parts = []
    for shown_if in page.shown_if:
        multiple = questionnaire.questions[shown_if.question].kind is Kind.MULTIPLE
        ref = f"${{{shown_if.question}}}"
        tests = [f"selected({ref}, '{code}')" if multiple else f"{ref} = '{code}'" for code in shown_if.codes]
        parts.append(" or ".join(tests))
    if page.condition is not None:
        parts.append(str(page.condition))
    if len(parts) == 1:
        return parts[0]
    return " and ".join(f"({part})" if " or " in part else part for part in parts)


def show(questionnaire: Questionnaire, language: str) -> str:
    lines = [
        text_in(questionnaire.title, language),
        f"version {questionnaire.version}; about {questionnaire.minutes} minutes; language {language}",
        "",
        text_in(questionnaire.purpose, language),
    ]
    for number, page in enumerate(questionnaire.pages, start=1):
        lines += ["", f"Page {number} ({page.id}): {text_in(page.title, language)}"]
        if condition := condition_text(questionnaire, page):
            lines.append(f"  shown when: {condition}")
        if page.content_note:
            lines.append("  the content note and help contacts come first")
        if page.optional_section:
            lines.append("  an optional section (about you)")
        if page.intro:
            lines.append(f"  note: {text_in(page.intro, language)}")
        for question in page.questions:
            required = "required" if question.required else "optional"
            extra = f", up to {question.max_length} characters" if question.kind is Kind.TEXT else ""
            lines.append(f"  {question.id} ({question.kind.value}, {required}{extra}): {text_in(question.text, language)}")
            if question.hint:
                lines.append(f"    hint: {text_in(question.hint, language)}")
            if question.summary_label:
                lines.append(f"    short label: {text_in(question.summary_label, language)}")
            if question.error:
                lines.append(f"    if unanswered: {text_in(question.error, language)}")
            group = None
            for option in question.options:
                if option.group is not None and text_in(option.group, language) != group:
                    group = text_in(option.group, language)
                    lines.append(f"    [{group}]")
                exclusive = " (exclusive)" if option.exclusive else ""
                lines.append(f"    - {option.code}: {text_in(option.label, language)}{exclusive}")
    return "\n".join(lines) + "\n"
