"""Sealed, verifiable documents, independent of what they certify.

The pieces every printed CityChain document shares — the PAdES seal and its
embedded proof file, the red round seal, the QR text framing, typesetting with
the one embedded CJK font, and the offline and online checks of a signed leaf —
live here, so `certificates/` and `charity/` can build on them without
importing each other. So does the one door every document is verified
through (`door.verify_document`, and `main.py verify` in `cli`): the domain
packages register their kinds of document, and nothing here imports them.
Sending a sealed PDF, as it is, to a CUPS print queue is `printing`.
"""
