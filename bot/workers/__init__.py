"""The long-running workers: a per-chat pool shared by the consumer and the sender, process presence,
cross-process wake-ups, and the supervision every loop runs under."""
