"""Everything that talks to the chain. The only code that sends transactions.

Modules here import web3 and the standard library only (no settings, no DB), so
brownie's separate environment can import them for `scripts/`.
"""
