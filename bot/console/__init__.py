"""The staff console: a server-rendered web app under /staff/ (see bot/console/web.py)."""
