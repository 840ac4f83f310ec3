"""The demo city: every agency of the design, seeded so the app is usable at once."""
