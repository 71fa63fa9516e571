"""A family's packet, and the email that carries it."""
