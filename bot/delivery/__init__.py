"""Messages the bot sends on its own: the outbox, the delivery engine, rate limits."""
