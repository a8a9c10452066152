"""What the accounts app tells the apps above it, which it may not import (tests/test_layers.py)."""

from django.dispatch import Signal

# Sent with `user=` once an account's address is verified: its sign-up link followed, or its creation through
# FranceConnect with the e-mail FranceConnect vouches for. Receivers run inside the caller's transaction.
address_verified = Signal()
