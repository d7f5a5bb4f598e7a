"""Messages to members (loan reminders, RAT notices) through an outbox: queued in the
transaction of the fact they tell about, sent later by an adapter (file, SMTP, webhook)."""
