"""Help and support contacts, shown on the help page, before the questions about experiences and
on the confirmation page. This is a data file: the survey's owner must check every number and
opening time before launch and edit them here. No other file needs to change."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Contact:
    name: object
    number: str  # as shown
    description: object
    dial: str = ""  # digits for a tel: link; empty when the number is not dialled as shown
    urgent: bool = False  # shown in the short list before sensitive questions
    # The service's own English name, which every translation keeps (so people can find it), marked
    # lang="en" on other-language pages so a screen reader reads it with an English voice.
    service: str = ""


CONTACTS = (
    Contact(_l("Emergency: police, ambulance, fire"), "999",
            _l("If you are in danger now, call 999."), dial="999", urgent=True),
    Contact(_l("If you cannot speak on a 999 call"), "55",
            _l("Call 999 from a mobile. If you cannot talk, press 55 when the recorded message asks."
               " This tells the operator it is a real emergency. It does not track where you are."),
            urgent=True),
    Contact(_l("999 by text relay"), "18000",
            _l("For people who are deaf, hard of hearing or speech-impaired. You can also register"
               " for emergency SMS by texting the word register to 999."), dial="18000"),
    Contact(_l("Police, not an emergency"), "101",
            _l("To report something that has already happened. Text relay: 18001 101."),
            dial="101", urgent=True),
    Contact(_l("National Domestic Abuse Helpline"), "0808 2000 247",
            _l("Free, 24 hours a day."), dial="08082000247", urgent=True, service="National Domestic Abuse Helpline"),
    Contact(_l("Rape Crisis 24/7 Support Line"), "0808 500 2222",
            _l("Free, 24 hours a day, for anyone aged 16 or over in England and Wales."),
            dial="08085002222", urgent=True, service="Rape Crisis 24/7 Support Line"),
    Contact(_l("Victim Support"), "0808 16 89 111",
            _l("Free, 24 hours a day, whether or not you told the police."), dial="08081689111", service="Victim Support"),
    Contact(_l("Crimestoppers"), "0800 555 111",
            _l("Tell them about a crime without giving your name."), dial="0800555111", service="Crimestoppers"),
    Contact(_l("Samaritans"), "116 123",
            _l("Free, 24 hours a day, if you need someone to talk to."), dial="116123", service="Samaritans"),
    Contact(_l("Respect Men's Advice Line"), "0808 801 0327",
            _l("For men experiencing domestic abuse."), dial="08088010327", service="Respect Men’s Advice Line"),
    Contact(_l("Galop"), "0800 999 5428",
            _l("For LGBT+ people experiencing abuse."), dial="08009995428", service="Galop"),
    Contact(_l("Karma Nirvana"), "0800 5999 247",
            _l("For honour-based abuse and forced marriage."), dial="08005999247", service="Karma Nirvana"),
    Contact(_l("Childline"), "0800 1111",
            _l("For anyone under 19."), dial="08001111", service="Childline"),
)

URGENT_CONTACTS = tuple(contact for contact in CONTACTS if contact.urgent)  # before sensitive questions
