"""Promotions over HTTP, one module per audience: the tourism office, warung owners, anyone.
Each registers its views on the promotions blueprint when imported."""

from portal.promotions.routes import office, owner, public
from portal.promotions.vouchers import routes as vouchers

__all__ = ["office", "owner", "public", "vouchers"]
