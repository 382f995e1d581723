"""Controlled vocabularies: the slugs the directory knows and their translatable labels.

The slugs are created in the database by a migration (``taxonomy_term``); the labels live here, wrapped
for translation, so a term's name follows the reader's language. Input that names an unknown slug is an
error listing the valid ones (see :func:`check_slugs`).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

#: taxonomy name -> {slug: label}; the order is the order in forms and facets.
TAXONOMIES: dict[str, dict[str, object]] = {
    "trafficking": {
        "sex": _l("Sex trafficking"),
        "labor": _l("Labor trafficking"),
    },
    "focus": {
        "economic-empowerment": _l("Economic empowerment"),
        "micro-finance": _l("Micro-finance"),
        "entrepreneurship": _l("Entrepreneurship"),
        "job-training": _l("Job training"),
        "legal-advocacy": _l("Legal advocacy"),
        "law-enforcement-training": _l("Law enforcement training"),
        "policy-advocacy": _l("Policy advocacy"),
        "public-awareness": _l("Public awareness"),
        "housing": _l("Housing"),
        "mental-health": _l("Mental health"),
        "youth": _l("Youth"),
        "child-trafficking": _l("Child trafficking"),
    },
    "model": {
        "survivor-founded": _l("Survivor-founded"),
        "survivor-led-board": _l("Survivor-led board"),
        "survivor-majority-staff": _l("Survivor-majority staff"),
        "peer-mentorship": _l("Peer mentorship"),
        "survivor-consultancy": _l("Survivor consultancy"),
        "cooperative": _l("Cooperative"),
    },
    "service": {
        "consulting": _l("Consulting"),
        "training": _l("Training"),
        "program-design-review": _l("Program design review"),
        "evaluation": _l("Evaluation"),
        "speaking": _l("Speaking"),
        "peer-support": _l("Peer support"),
        "research": _l("Research"),
    },
    "engagement": {
        "staff-position": _l("Staff position"),
        "consultant": _l("Consultant"),
        "trainer": _l("Trainer"),
        "advisory-board": _l("Advisory board"),
        "speaker": _l("Speaker"),
        "evaluator": _l("Evaluator"),
        "peer-support": _l("Peer support"),
    },
}

#: What each taxonomy is called, for headings and error messages.
TAXONOMY_NAMES: dict[str, object] = {
    "trafficking": _l("Trafficking type"),
    "focus": _l("Focus area"),
    "model": _l("Leadership model"),
    "service": _l("Service to partners"),
    "engagement": _l("Engagement type"),
}

#: What each taxonomy holds, one sentence (published with the taxonomy in the HSDS API).
TAXONOMY_DESCRIPTIONS: dict[str, object] = {
    "trafficking": _l("The forms of human trafficking an organization works on."),
    "focus": _l("What an organization's work focuses on."),
    "model": _l("How survivors lead an organization."),
    "service": _l("What an organization offers to partners."),
    "engagement": _l("The ways partners can work with an organization."),
}


class UnknownSlugError(ValueError):
    """Input named a vocabulary slug that does not exist."""

    def __init__(self, taxonomy: str, unknown: list[str]) -> None:
        self.taxonomy = taxonomy
        self.unknown = unknown
        self.valid = list(TAXONOMIES[taxonomy])
        super().__init__(
            f"unknown {taxonomy} {', '.join(unknown)}; valid values are: {', '.join(self.valid)}"
        )


def check_slugs(taxonomy: str, slugs: Iterable[str]) -> list[str]:
    """Return the slugs de-duplicated in input order, or raise UnknownSlugError naming the bad ones."""
    terms = TAXONOMIES[taxonomy]
    seen: list[str] = []
    for slug in slugs:
        if slug not in seen:
            seen.append(slug)
    unknown = [s for s in seen if s not in terms]
    if unknown:
        raise UnknownSlugError(taxonomy, unknown)
    return seen


def label(taxonomy: str, slug: str) -> str:
    """The translated label of a term (the slug itself when unknown, so old data still renders)."""
    return str(TAXONOMIES.get(taxonomy, {}).get(slug, slug))
