"""Password rules (NIST SP 800-63B-4) and the hashing method (argon2id), pinned."""

from __future__ import annotations

import pytest
from flask import Flask

from directory.accounts.passwords import hash_password, password_problems, verify_password


@pytest.mark.parametrize(
    "password",
    [
        "tidal orchard lantern seventy",
        "my grandmother's yellow bicycle",
        "Kribi-beach-at-dawn-1998",
        "x" * 10 + "Q7#kz!ra92",
    ],
)
def test_long_unguessable_passwords_are_accepted(app: Flask, password: str) -> None:
    assert password_problems(password, "ama@example.org", "Ama Mensah") == []


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short one", "at least 15"),
        ("a" * 257, "at most 256"),
        ("123456789012345", "too easy"),
        ("passwordpassword", "too easy"),
        ("qwertyuiopasdfgh", "too easy"),
        ("aaaaaaaaaaaaaaaaaaaa", "too easy"),
        ("ama.mensah is my name", "email address"),
        ("survivorleadership2024", "name of this site"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(app: Flask, password: str, why: str) -> None:
    problems = password_problems(password, "ama.mensah@example.org", "Ama Mensah")
    assert problems and why in problems[0]


def test_no_composition_rules(app: Flask) -> None:
    # all lower-case letters and spaces, no digit or symbol: fine when long and unguessable
    assert password_problems("velvet kiln meadow orbit", "x@example.org") == []


def test_hashing_is_argon2id_at_owasp_strength() -> None:
    hashed = hash_password("tidal orchard lantern seventy")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(hashed, "tidal orchard lantern seventy")
    assert not verify_password(hashed, "tidal orchard lantern seventy!")
    assert not verify_password("not a hash", "anything")
