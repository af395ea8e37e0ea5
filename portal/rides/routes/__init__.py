"""HTTP for rides, by audience: form -> service -> render. Every page works without JavaScript."""

from portal.rides import cli  # noqa: F401 - registers `flask rides sweep` on the blueprint
from portal.rides.routes import admin, customer, driver, filters, public  # noqa: F401 - register the views
