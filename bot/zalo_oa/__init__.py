"""Zalo Official Account: tokens first; the channel itself comes next (issue #20)."""
