"""Promotions over HTTP, one module per audience: the tourism office, warung owners, anyone."""

from portal.promotions import models  # noqa: F401 - the tables join the metadata
