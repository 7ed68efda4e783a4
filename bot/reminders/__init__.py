"""Event and session reminders, subscriptions, and periodic housekeeping."""
