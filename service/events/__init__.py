"""B2B events: registration, the meeting-request workflow and agenda versions."""
