"""The errors of the data folder, shared by the store and its review log."""

from __future__ import annotations


class StoreError(Exception):
    """A problem with the data folder that the user must hear about."""


class AlreadyRunning(StoreError):
    pass
