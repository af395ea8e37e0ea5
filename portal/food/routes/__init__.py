"""Food over HTTP, one module per audience: anyone (public), the customer, the warung's owner,
the regency admin. Each registers its views on the food blueprint when imported."""

from portal.food.routes import admin, customer, owner, public
from portal.food.routes.public import MENU_PAGES, WARUNG_PAGES

__all__ = ["MENU_PAGES", "WARUNG_PAGES", "admin", "customer", "owner", "public"]
