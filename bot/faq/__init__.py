"""The FAQ around the matcher: question log, answer follow-ups, `kb check`."""
