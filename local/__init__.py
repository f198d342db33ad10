"""Local-only tools: the emulated AWS, the event-source runner and the outbox. Never shipped."""
