"""Small security infrastructure shared by the adapters: signed tokens."""
