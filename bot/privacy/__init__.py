"""Everything stored about one person, for /mydata and /forget."""
