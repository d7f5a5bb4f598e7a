"""Postings: domain events turned into journal legs by product (Fineract's accounting
processors). The ledger stays the only writer; this package only says what to post."""
