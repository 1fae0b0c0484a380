"""The West Midlands women's and girls' safety survey: the default questionnaire, as data.

To change a question, edit it here and bump VERSION; no view, template or table changes.
Codes are stable identifiers stored in the database and the export: add new ones, never reuse old ones.
"""

from flask_babel import lazy_gettext as _l

from app.questionnaire.model import Kind, Option, Page, Question, Questionnaire, ShownIf

VERSION = "2026-11.1"

PREFER_NOT = Option("prefer_not_to_say", _l("Prefer not to say"), exclusive=True)
NONE_OF_THESE = Option("none", _l("None of these"), exclusive=True)

SAFETY_SCALE = (
    Option("very_safe", _l("Very safe")),
    Option("fairly_safe", _l("Fairly safe")),
    Option("fairly_unsafe", _l("Fairly unsafe")),
    Option("very_unsafe", _l("Very unsafe")),
    Option("does_not_apply", _l("Does not apply to me")),
    PREFER_NOT,
)


def _safety(question_id: str, text, summary, error) -> Question:
    return Question(question_id, text, Kind.SCALE, SAFETY_SCALE, summary_label=summary, error=error)


EXPERIENCES = (
    Option("comments", _l("Catcalls, whistles, or unwanted sexual comments or jokes")),
    Option("shouted_at", _l("Being insulted or shouted at by a stranger")),
    Option("followed", _l("Being followed")),
    Option("threatened", _l("Being physically threatened")),
    Option("touched", _l("Being touched when you did not want to be")),
    Option("online", _l("Harassment online")),
)
HAPPENED = tuple(option.code for option in EXPERIENCES)

PAGES = (
    Page(
        "safe_day",
        _l("How safe do you feel walking alone during the day?"),
        (
            _safety("safe_day_street", _l("In a quiet street near your home"), _l("During the day, in a quiet street near your home"),
                error=_l("Choose how safe you feel in a quiet street near your home during the day, or choose “Prefer not to say”")),
            _safety("safe_day_busy", _l("In a busy public place, like a high street or station"), _l("During the day, in a busy public place"),
                error=_l("Choose how safe you feel in a busy public place during the day, or choose “Prefer not to say”")),
            _safety("safe_day_park", _l("In a park or other open space"), _l("During the day, in a park or open space"),
                error=_l("Choose how safe you feel in a park or open space during the day, or choose “Prefer not to say”")),
        ),
    ),
    Page(
        "safe_dark",
        _l("How safe do you feel walking alone after dark?"),
        (
            _safety("safe_dark_street", _l("In a quiet street near your home"), _l("After dark, in a quiet street near your home"),
                error=_l("Choose how safe you feel in a quiet street near your home after dark, or choose “Prefer not to say”")),
            _safety("safe_dark_busy", _l("In a busy public place, like a high street or station"), _l("After dark, in a busy public place"),
                error=_l("Choose how safe you feel in a busy public place after dark, or choose “Prefer not to say”")),
            _safety("safe_dark_park", _l("In a park or other open space"), _l("After dark, in a park or open space"),
                error=_l("Choose how safe you feel in a park or open space after dark, or choose “Prefer not to say”")),
            _safety("safe_dark_transport", _l("On public transport, on your own"), _l("After dark, on public transport on your own"),
                error=_l("Choose how safe you feel on public transport on your own after dark, or choose “Prefer not to say”")),
        ),
    ),
    Page(
        "experiences",
        _l("Things that may have happened to you"),
        (
            Question(
                "experiences",
                _l("In the last 12 months, has any of these happened to you in a public place or online?"),
                Kind.MULTIPLE,
                EXPERIENCES + (NONE_OF_THESE, PREFER_NOT),
                hint=_l("Choose all that apply."),
                summary_label=_l("What happened in the last 12 months"),
                error=_l("Choose what has happened to you, or choose “None of these” or “Prefer not to say”"),
            ),
        ),
        content_note=True,
    ),
    Page(
        "where",
        _l("Where did it happen?"),
        (
            Question(
                "where",
                _l("Where did it happen?"),
                Kind.MULTIPLE,
                (
                    Option("street", _l("In a street or road")),
                    Option("transport", _l("On public transport, or at a bus stop or station")),
                    Option("park", _l("In a park or open space")),
                    Option("centre", _l("In a town or city centre, or at a bar, club or venue")),
                    Option("car_park", _l("In a car park")),
                    Option("work_study", _l("At work, school, college or university")),
                    Option("online", _l("Online")),
                    Option("elsewhere", _l("Somewhere else")),
                    PREFER_NOT,
                ),
                hint=_l("Think about everything that happened in the last 12 months. Choose all that apply."),
                error=_l("Choose where it happened, or choose “Prefer not to say”"),
            ),
        ),
        shown_if=(ShownIf("experiences", HAPPENED),),
    ),
    Page(
        "reported",
        _l("Did you tell the police?"),
        (
            Question(
                "reported",
                _l("Did you tell the police about what happened?"),
                Kind.SINGLE,
                (
                    Option("all", _l("Yes, about all of it")),
                    Option("some", _l("Yes, about some of it")),
                    Option("no", _l("No")),
                    PREFER_NOT,
                ),
                error=_l("Choose whether you told the police, or choose “Prefer not to say”"),
            ),
        ),
        shown_if=(ShownIf("experiences", HAPPENED),),
    ),
    Page(
        "why_not",
        _l("Why did you not tell the police?"),
        (
            Question(
                "why_not_reported",
                _l("Why did you not tell the police?"),
                Kind.MULTIPLE,
                (
                    Option("not_serious", _l("I did not think it was serious enough")),
                    Option("nothing_done", _l("I did not think the police could or would do anything")),
                    Option("not_know_how", _l("I did not know how to tell them")),
                    Option("not_believed", _l("I was worried I would not be believed")),
                    Option("consequences", _l("I was worried about what might happen next")),
                    Option("dealt_with", _l("I dealt with it myself or with help from others")),
                    Option("other", _l("Another reason")),
                    PREFER_NOT,
                ),
                hint=_l("Choose all that apply."),
                error=_l("Choose why you did not tell the police, or choose “Prefer not to say”"),
            ),
        ),
        shown_if=(ShownIf("reported", ("some", "no")),),
    ),
    Page(
        "changed_behaviour",
        _l("Things you do to feel safer"),
        (
            Question(
                "changed_behaviour",
                _l("In the last 12 months, have you done any of these because you felt unsafe?"),
                Kind.MULTIPLE,
                (
                    Option("avoided_places", _l("Avoided some places after dark")),
                    Option("changed_route", _l("Changed the way I walk or travel")),
                    Option("avoided_transport", _l("Stopped using public transport at night")),
                    Option("went_out_less", _l("Gone out less")),
                    NONE_OF_THESE,
                    PREFER_NOT,
                ),
                hint=_l("Choose all that apply."),
                error=_l("Choose what you have done to feel safer, or choose “None of these” or “Prefer not to say”"),
            ),
        ),
    ),
    Page(
        "unsafe_places",
        _l("What makes a place feel unsafe?"),
        (
            Question(
                "unsafe_features",
                _l("What makes a place feel unsafe to you?"),
                Kind.MULTIPLE,
                (
                    Option("no_cctv", _l("No CCTV cameras")),
                    Option("poor_lighting", _l("Poor lighting")),
                    Option("isolated", _l("Empty buildings, or nobody else around")),
                    Option("blind_spots", _l("Blind corners or places someone could hide")),
                    Option("blocked_view", _l("Bushes, walls or fences that block the view")),
                    Option("run_down", _l("Run-down places: graffiti, rubbish, empty or broken buildings")),
                    Option("drugs_alcohol", _l("People using drugs or drinking alcohol")),
                    Option("harassment_one", _l("Comments or shouting from a stranger")),
                    Option("harassment_group", _l("Comments or shouting from a group")),
                    Option("followed", _l("Being followed")),
                    Option("other", _l("Something else")),
                    PREFER_NOT,
                ),
                hint=_l("Choose all that apply."),
                error=_l("Choose what makes a place feel unsafe to you, or choose “Prefer not to say”"),
            ),
        ),
    ),
    Page(
        "difference",
        _l("What would make a difference?"),
        (
            Question(
                "difference",
                _l("What would help you feel safer?"),
                Kind.MULTIPLE,
                (
                    Option("lighting", _l("Better street lighting")),
                    Option("cctv", _l("More CCTV cameras")),
                    Option("visible_patrols", _l("More police officers or wardens you can see")),
                    Option("safer_transport", _l("Safer public transport at night")),
                    Option("education", _l("Teaching about respect, and challenging men's behaviour")),
                    Option("bystander", _l("Training people to step in safely when they see harassment")),
                    Option("easier_reporting", _l("Easier ways to report what happens")),
                    Option("better_response", _l("A better response from the police when something is reported")),
                    Option("other", _l("Something else")),
                    PREFER_NOT,
                ),
                hint=_l("Choose all that apply."),
                error=_l("Choose what would help you feel safer, or choose “Prefer not to say”"),
            ),
        ),
    ),
    Page(
        "difference_text",
        _l("Anything else you want to tell us?"),
        (
            Question(
                "difference_text",
                _l("What would make the biggest difference to how safe you feel?"),
                Kind.TEXT,
                hint=_l(
                    "This is optional. Please do not write names, addresses or anything that could identify"
                    " you or someone else. You can write up to 500 characters."
                ),
                required=False,
                max_length=500,
                summary_label=_l("What would make the biggest difference"),
            ),
        ),
    ),
    Page(
        "area",
        _l("Where do you live?"),
        (
            Question(
                "area",
                _l("Which area do you live in?"),
                Kind.SINGLE,
                (
                    Option("birmingham", _l("Birmingham")),
                    Option("coventry", _l("Coventry")),
                    Option("dudley", _l("Dudley")),
                    Option("sandwell", _l("Sandwell")),
                    Option("solihull", _l("Solihull")),
                    Option("walsall", _l("Walsall")),
                    Option("wolverhampton", _l("Wolverhampton")),
                    Option("elsewhere", _l("Somewhere else")),
                    PREFER_NOT,
                ),
                hint=_l("This is optional. It helps us see how safety differs from place to place."),
                required=False,
            ),
        ),
    ),
    Page(
        "age",
        _l("About you: your age"),
        (
            Question(
                "age",
                _l("How old are you?"),
                Kind.SINGLE,
                (
                    Option("under_16", _l("Under 16")),
                    Option("16_17", _l("16 to 17")),
                    Option("18_24", _l("18 to 24")),
                    Option("25_34", _l("25 to 34")),
                    Option("35_44", _l("35 to 44")),
                    Option("45_54", _l("45 to 54")),
                    Option("55_64", _l("55 to 64")),
                    Option("65_74", _l("65 to 74")),
                    Option("75_over", _l("75 or over")),
                    PREFER_NOT,
                ),
                required=False,
            ),
        ),
        optional_section=True,
    ),
    Page(
        "gender",
        _l("About you: your gender"),
        (
            Question(
                "gender",
                _l("Which of these describes you?"),
                Kind.SINGLE,
                (
                    Option("woman_girl", _l("Woman or girl")),
                    Option("man_boy", _l("Man or boy")),
                    Option("non_binary", _l("Non-binary")),
                    Option("self_describe", _l("I prefer to describe myself")),
                    PREFER_NOT,
                ),
                required=False,
            ),
        ),
        optional_section=True,
    ),
    Page(
        "gender_self",
        _l("About you: how you describe your gender"),
        (
            Question(
                "gender_self_described",
                _l("How do you describe your gender?"),
                Kind.TEXT,
                hint=_l("This is optional. You can write up to 100 characters."),
                required=False,
                max_length=100,
            ),
        ),
        shown_if=(ShownIf("gender", ("self_describe",)),),
        optional_section=True,
    ),
    Page(
        "trans",
        _l("About you: gender and sex registered at birth"),
        (
            Question(
                "gender_same_as_birth",
                _l("Is the gender you identify with the same as your sex registered at birth?"),
                Kind.SINGLE,
                (Option("yes", _l("Yes")), Option("no", _l("No")), PREFER_NOT),
                required=False,
            ),
        ),
        optional_section=True,
    ),
    Page(
        "orientation",
        _l("About you: sexual orientation"),
        (
            Question(
                "sexual_orientation",
                _l("Which of these best describes your sexual orientation?"),
                Kind.SINGLE,
                (
                    Option("straight", _l("Straight or heterosexual")),
                    Option("gay_lesbian", _l("Gay or lesbian")),
                    Option("bisexual", _l("Bisexual")),
                    Option("other", _l("Other sexual orientation")),
                    PREFER_NOT,
                ),
                required=False,
            ),
        ),
        optional_section=True,
    ),
    Page(
        "ethnicity",
        _l("About you: ethnic group"),
        (
            Question(
                "ethnic_group",
                _l("What is your ethnic group?"),
                Kind.SINGLE,
                (
                    Option("white_british", _l("English, Welsh, Scottish, Northern Irish or British"), group=_l("White")),
                    Option("white_irish", _l("Irish"), group=_l("White")),
                    Option("white_traveller", _l("Gypsy or Irish Traveller"), group=_l("White")),
                    Option("white_roma", _l("Roma"), group=_l("White")),
                    Option("white_other", _l("Any other White background"), group=_l("White")),
                    Option("mixed_white_black_caribbean", _l("White and Black Caribbean"), group=_l("Mixed or multiple ethnic groups")),
                    Option("mixed_white_black_african", _l("White and Black African"), group=_l("Mixed or multiple ethnic groups")),
                    Option("mixed_white_asian", _l("White and Asian"), group=_l("Mixed or multiple ethnic groups")),
                    Option("mixed_other", _l("Any other Mixed or multiple ethnic background"), group=_l("Mixed or multiple ethnic groups")),
                    Option("asian_indian", _l("Indian"), group=_l("Asian or Asian British")),
                    Option("asian_pakistani", _l("Pakistani"), group=_l("Asian or Asian British")),
                    Option("asian_bangladeshi", _l("Bangladeshi"), group=_l("Asian or Asian British")),
                    Option("asian_chinese", _l("Chinese"), group=_l("Asian or Asian British")),
                    Option("asian_other", _l("Any other Asian background"), group=_l("Asian or Asian British")),
                    Option("black_caribbean", _l("Caribbean"), group=_l("Black, Black British, Caribbean or African")),
                    Option("black_african", _l("African"), group=_l("Black, Black British, Caribbean or African")),
                    Option("black_other", _l("Any other Black, Black British or Caribbean background"), group=_l("Black, Black British, Caribbean or African")),
                    Option("other_arab", _l("Arab"), group=_l("Other ethnic group")),
                    Option("other_any", _l("Any other ethnic group"), group=_l("Other ethnic group")),
                    PREFER_NOT,
                ),
                required=False,
            ),
        ),
        optional_section=True,
    ),
    Page(
        "disability",
        _l("About you: health and disability"),
        (
            Question(
                "long_term_condition",
                _l("Do you have any physical or mental health conditions or illnesses lasting or expected to last 12 months or more?"),
                Kind.SINGLE,
                (Option("yes", _l("Yes")), Option("no", _l("No")), PREFER_NOT),
                required=False,
                summary_label=_l("Long-term health condition or illness"),
            ),
        ),
        optional_section=True,
    ),
    Page(
        "disability_impact",
        _l("About you: day-to-day activities"),
        (
            Question(
                "condition_reduces_activities",
                _l("Does your condition or illness reduce your ability to carry out day-to-day activities?"),
                Kind.SINGLE,
                (
                    Option("a_lot", _l("Yes, a lot")),
                    Option("a_little", _l("Yes, a little")),
                    Option("not_at_all", _l("Not at all")),
                    PREFER_NOT,
                ),
                required=False,
            ),
        ),
        shown_if=(ShownIf("long_term_condition", ("yes",)),),
        optional_section=True,
    ),
)

QUESTIONNAIRE = Questionnaire(
    version=VERSION,
    title=_l("Tell us how safe you feel"),
    purpose=_l(
        "West Midlands Police and the Police and Crime Commissioner want to hear from women and girls,"
        " and from anyone else who wants to take part, about feeling safe in public places. We will use"
        " what you tell us, with our partners, to decide what to do to make places safer."
    ),
    pages=PAGES,
    minutes=10,
)
