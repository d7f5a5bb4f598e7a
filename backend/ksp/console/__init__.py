"""The staff console at /staff/: server-rendered pages over the same services, role
checks, idempotency and audit trail as the API."""
