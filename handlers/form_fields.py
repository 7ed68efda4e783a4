"""Validation of what people type into forms: names, Vietnamese phone numbers, extra fields.

Each check returns (value, None) or (None, catalogue key of the re-ask).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import phonenumbers

_MOBILE = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:[ .'-][^\W\d_]+)*$")


def check_name(text: str) -> tuple[str | None, str | None]:
    name = " ".join(unicodedata.normalize("NFC", text).split())
    if not name:
        return None, "name_empty"
    if len(name) > 100:
        return None, "name_too_long"
    if not _NAME_CHARS.match(name) or len(name) < 2:
        return None, "name_invalid"
    return name.title() if name.islower() or name.isupper() else name, None


def check_phone(text: str) -> tuple[str | None, str | None]:
    """Vietnamese mobile numbers only, stored as E.164 (+84…)."""
    digits = re.sub(r"[^\d+]", "", text)
    if not digits:
        return None, "phone_invalid"
    try:
        number = phonenumbers.parse(digits, "VN")
    except phonenumbers.NumberParseException:
        return None, "phone_invalid"
    if number.country_code != 84:
        return None, "phone_foreign"
    if not phonenumbers.is_valid_number(number):
        return None, "phone_invalid"
    if phonenumbers.number_type(number) not in _MOBILE:
        return None, "phone_landline"  # the organisers call and text: a mobile is needed
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def check_extra(spec: dict[str, Any], text: str) -> tuple[Any, str | None]:
    value = " ".join(text.split())
    if not value:
        return None, "field_required"
    if spec["type"] == "number":
        if not re.fullmatch(r"\d{1,7}", value.replace(".", "").replace(",", "")):
            return None, "field_number"
        number = int(value.replace(".", "").replace(",", ""))
        if number < spec.get("min", 0) or number > spec.get("max", 10**7):
            return None, "field_range"
        return number, None
    if spec["type"] == "choice":
        for choice in spec["choices"]:
            if choice.casefold() == value.casefold():
                return choice, None
        return None, "field_choice"
    if len(value) > 200:
        return None, "field_too_long"
    return value, None
