"""HTTP for documents, by audience: the resident's request pages, the MPP office, the admin's fees."""

from portal.documents.routes import admin, office, resident  # noqa: F401 - each registers its views on bp
