"""E-mail notifications: rendered in the recipient's language, kept in an outbox, sent by RQ jobs."""
