"""Prudential figures (rasio kehatian) of the cooperative for any date."""
