"""The web chat's own rules: identities the server issues, limits per address."""
