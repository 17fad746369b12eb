"""Access control: API keys, roles, per-object authorisation and the audit trail."""
