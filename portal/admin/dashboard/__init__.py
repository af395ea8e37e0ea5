"""The regency dashboard: what waits for an admin, figures per service over a period of WIB
days (charts drawn as SVG on the server, the same figures in tables and a CSV), and the public
figures page. Queries live in `queries`/`figures`, layout in `board`, HTTP in `views`."""
