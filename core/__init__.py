"""The small shared kernel: settings, database, errors, money and the event log. Every package may use it."""
