"""Simpanan: pokok (once), wajib (periodic), sukarela (voluntary, withdrawable)."""
