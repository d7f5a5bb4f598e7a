"""Potong gaji: the paymaster's monthly salary-deduction file, validated whole, posted as
deposits in chunks, each line idempotent by (file SHA-256, line number)."""
