"""Signed receipts (tanda terima bertanda tangan): the server's EIP-712 promise that a
journal entry of a member is in the log, held by the member before the next anchor."""
