"""The cooperative's own rules (AD/ART settings), versioned by effective date."""
