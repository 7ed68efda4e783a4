"""Training sessions: sign-up rules and seats, calendar files, exports, staff CLI."""
