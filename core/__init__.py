"""The bottom layer: helpers every app may use (QR codes, French formats, the "refused" exceptions, HTTP bits).

It imports no app of the portal, and no app imports the project shell (`portal`): `tests/test_layers.py` checks both.
"""
