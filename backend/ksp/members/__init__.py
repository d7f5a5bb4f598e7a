"""Members (anggota): registration, wallet proof, status, and their encrypted personal data."""
