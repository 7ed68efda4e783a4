"""Who a person says they are, and whom a session or a watch is for: defined once."""

from __future__ import annotations

from enum import StrEnum


class Audience(StrEnum):
    YOUTH = "youth"  # young people 18-23
    BUSINESS = "business"  # household businesses and SMEs
    STAFF = "staff"  # commune/ward staff and community digital teams
    OTHER = "other"
    ALL = "all"  # a session or a watch for everyone


# What a person can say they are (onboarding), in the order they are offered.
PERSON_GROUPS = (Audience.YOUTH, Audience.BUSINESS, Audience.STAFF, Audience.OTHER)
# Whom a training session is for.
SESSION_AUDIENCES = (Audience.YOUTH, Audience.BUSINESS, Audience.ALL)
# The catalogue key of each group's label.
LABEL_KEYS = {Audience.YOUTH: "aud_youth", Audience.BUSINESS: "aud_business",
              Audience.STAFF: "aud_staff", Audience.OTHER: "aud_other",
              Audience.ALL: "aud_all_watch"}
