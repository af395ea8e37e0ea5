from portal.medicine import services  # noqa: F401
