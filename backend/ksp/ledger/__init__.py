"""The ledger: the only writer of journal entries and of the cooperative log."""
