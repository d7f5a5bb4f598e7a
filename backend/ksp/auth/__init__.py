"""Who is asking: staff by password, members by wallet signature; roles in one place."""
