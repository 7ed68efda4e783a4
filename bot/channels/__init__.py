"""Channel adapters: each turns a platform's updates into neutral messages and back."""

import os

# python-telegram-bot: opt in now to RetryAfter.retry_after as a timedelta (its next major).
os.environ.setdefault("PTB_TIMEDELTA", "1")
