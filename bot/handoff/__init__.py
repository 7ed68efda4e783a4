"""Handoff: citizens' questions handed to a person on their commune's team."""
