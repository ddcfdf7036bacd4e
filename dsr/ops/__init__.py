"""Operator tasks that work on a whole installation rather than on one request: backup and restore
(docs/backup.md). Reached through ``flask --app wsgi dsr backup ...``; nothing in a request imports it."""
