"""Running the portal in production's shape: the multi-node topology and the periodic jobs."""
