"""The profile editor form: every public field of a listing, and the privacy choices."""

from __future__ import annotations

from collections.abc import Collection

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from .. import regions, vocab
from ..accounts.forms import country_choices
from ..forms import CountriesField, Form, LanguagesField, NameField, WebsiteField
from ..organizations.models import LocationPrecision, Visibility
from ..organizations.services import TERM_FIELDS, TRANSLATION_FIELDS


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (works without JavaScript)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _terms(taxonomy: str) -> list[SelectChoice]:
    return [SelectChoice(slug, label) for slug, label in vocab.TAXONOMIES[taxonomy].items()]  # lazy labels


#: How to fill in a languages field (the profile's and a request's).
LANGUAGES_HELP = _l(
    "Names separated by commas, e.g. French, English, Duala. "
    "For a language not on our list, type its ISO 639-3 code."
)


#: Fields the editor shows as one box per language, named as a whole.
GROUP_LABELS: dict[str, object] = {
    "summary_translations": _l("Summary in other languages"),
    "narrative_translations": _l("Leadership model in other languages"),
}


def field_label(name: str) -> str:
    """The label the editor gives a listing's field (what review pages and the dashboard call it)."""
    if name in GROUP_LABELS:
        return str(GROUP_LABELS[name])
    unbound = getattr(ProfileForm, name, None)
    label = unbound.kwargs.get("label") or (unbound.args[0] if unbound.args else None) if unbound else None
    return str(label) if label else name.replace("_", " ")


PRECISION_CHOICES = [
    (
        LocationPrecision.CITY.value,
        _l("City (recommended): shown at the centre of your city; your address stays private."),
    ),
    (
        LocationPrecision.COUNTRY.value,
        _l("Country: only your country is shown; searches by distance use its centre."),
    ),
    (
        LocationPrecision.HIDDEN.value,
        _l(
            "Hidden: no place is shown and you never appear in searches by distance. "
            "Choose this for a shelter."
        ),
    ),
    (LocationPrecision.EXACT.value, _l("Exact: the point you give below is shown to everyone.")),
]
VISIBILITY_CHOICES = [
    (Visibility.VERIFIED_AGENCIES.value, _l("Verified agencies only (recommended)")),
    (Visibility.AFTER_ACCEPT.value, _l("Nobody, until we accept a partnership request")),
    (Visibility.PUBLIC.value, _l("Everyone")),
]


def _radio(label: object, choices: list[tuple[str, object]], description: object = "") -> RadioField:
    return RadioField(
        label,
        choices=[SelectChoice(v, text) for v, text in choices],  # lazy: in the reader's language
        validators=[DataRequired()],
        description=description,
    )


#: The languages the editor offers for other versions of the summary and the leadership narrative (the
#: interface languages); each has a field per translated input field, named ``<prefix>_<code>``.
TRANSLATION_LANGUAGES = ("en", "fr", "es", "pt")
#: OrganizationInput field -> (the form fields' prefix, the most characters of each version: the
#: service's limit, organizations.services.TRANSLATION_FIELDS).
_PREFIXES = {"summary_translations": "summary", "narrative_translations": "narrative"}
TRANSLATED = {name: (_PREFIXES[name], limit) for name, (_column, limit) in TRANSLATION_FIELDS.items()}


def form_fields(names: Collection[str]) -> list[str]:
    """The form's field names for OrganizationInput fields ``names`` (other versions: one per language)."""
    out: list[str] = []
    for name in names:
        if name in TRANSLATED:
            out.extend(f"{TRANSLATED[name][0]}_{code}" for code in TRANSLATION_LANGUAGES)
        else:
            out.append(name)
    return out


def error_field(name: str) -> str:
    """The form field for a service's error key (``summary_translations.fr`` -> ``summary_fr``)."""
    field_name, _, code = name.partition(".")
    if field_name in TRANSLATED and code in TRANSLATION_LANGUAGES:
        return f"{TRANSLATED[field_name][0]}_{code}"
    return field_name


class ProfileForm(Form):
    edit_version = HiddenField()
    name = NameField(_l("Organization name"), validators=[DataRequired(), Length(max=200)])
    text_language = SelectField(
        _l("The language you write your profile in"),
        validators=[Optional()],  # left out of a post: as saved now
        description=_l("What you write is shown as you wrote it, marked as written in this language."),
    )
    summary = TextAreaField(
        _l("Summary"),
        validators=[Optional(), Length(max=300)],
        description=_l("One or two sentences for search results."),
    )
    leadership_narrative = TextAreaField(
        _l("Your leadership model"),
        validators=[Optional(), Length(max=5000)],
        description=_l(
            "How survivors lead your organization, e.g. “economic independence through "
            "micro-financing and small-business training for women and girls”."
        ),
    )
    survivor_attestation = TextAreaField(
        _l("Survivor leadership, in your own words"),
        validators=[Optional(), Length(max=2000)],
        description=_l(
            "Who founded and leads the organization, and the share of its leadership with lived "
            "experience. Nobody will ask you to prove anyone's history."
        ),
    )
    description = TextAreaField(_l("About the organization"), validators=[Optional(), Length(max=10000)])
    models = CheckboxesField(_l("Leadership models"))
    focus = CheckboxesField(_l("Focus areas"))
    trafficking = CheckboxesField(_l("Forms of trafficking you work on"))
    services = CheckboxesField(_l("Services you offer partners"))
    engagements = CheckboxesField(_l("Ways partners can engage you"))
    languages = LanguagesField(_l("Languages"), description=LANGUAGES_HELP)
    serves = CountriesField(_l("Countries you serve"), validators=[Optional()])
    year_incorporated = IntegerField(_l("Year founded"), validators=[Optional(), NumberRange(1800, 2100)])
    website = WebsiteField(_l("Website"), validators=[Optional(), Length(max=300)])
    email = EmailField(_l("Contact email"), validators=[Optional(), Email(), Length(max=254)])
    email_visibility = _radio(_l("Who may see the email address"), VISIBILITY_CHOICES)
    phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    phone_visibility = _radio(_l("Who may see the phone number"), VISIBILITY_CHOICES)
    country_code = SelectField(_l("Country"), validators=[DataRequired()])
    city = StringField(_l("City"), validators=[Optional(), Length(max=120)])
    location_precision = _radio(
        _l("How precisely may the public see where you are?"),
        PRECISION_CHOICES,
        _l(
            "The public, agencies included, only ever see the point this choice gives. "
            "Making it less precise takes effect at once."
        ),
    )
    latitude = FloatField(_l("Latitude (only for “exact”)"), validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(
        _l("Longitude (only for “exact”)"), validators=[Optional(), NumberRange(-180, 180)]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.text_language.choices = [(code, regions.language_name(code)) for code in TRANSLATION_LANGUAGES]
        for code in TRANSLATION_LANGUAGES:
            language = regions.language_name(code)
            summary, narrative = self[f"summary_{code}"], self[f"narrative_{code}"]
            summary.label.text = _l("Summary in %(language)s (optional)", language=language)
            summary.description = _l("Only if you write it in this language too.")
            narrative.label.text = _l("Your leadership model in %(language)s (optional)", language=language)
            narrative.description = summary.description
        countries = country_choices()
        self.country_code.choices = countries
        for taxonomy, name in TERM_FIELDS.items():
            getattr(self, name).choices = _terms(taxonomy)


# Other versions of the summary and the leadership narrative (see TRANSLATED; labelled in __init__).
for _prefix, _limit in TRANSLATED.values():
    for _code in TRANSLATION_LANGUAGES:
        # The box holds text in that language: `lang` lets spell checkers and screen readers use it.
        _field = TextAreaField(validators=[Optional(), Length(max=_limit)], render_kw={"lang": _code})
        setattr(ProfileForm, f"{_prefix}_{_code}", _field)


def offer_language(form: ProfileForm, code: str) -> None:
    """Offer ``code`` as the profile's language too (a profile may be written in any ISO 639 language)."""
    choices = list(form.text_language.choices or [])
    if code and code not in [value for value, _label in choices]:
        form.text_language.choices = [*choices, (code, regions.language_name(code))]


def keep_only(form: ProfileForm, names: Collection[str]) -> ProfileForm:
    """Check, show and sum up only the fields ``names`` (one section of the editor), with the version
    and the CSRF token. The other fields stay on the form as attributes, holding what the view filled in
    (what is saved now), so the whole input can still be read from it."""
    for name in [n for n in form._fields if n not in names and n not in ("csrf_token", "edit_version")]:
        del form._fields[name]
    return form
