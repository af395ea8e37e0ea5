"""Where a drop-off roughly is, without saying where: the nearest kecamatan of Kabupaten
Banyuwangi. A driver deciding whether to take a job sees this and the distance; the address and
phone only once the job is theirs."""

from __future__ import annotations

from portal.couriers.fare import haversine_km

# The regency's 25 kecamatan, by the position of their administrative centre (rounded).
KECAMATAN = {
    "Banyuwangi": (-8.219, 114.369),
    "Giri": (-8.196, 114.343),
    "Glagah": (-8.212, 114.318),
    "Kalipuro": (-8.167, 114.367),
    "Licin": (-8.168, 114.265),
    "Wongsorejo": (-7.990, 114.400),
    "Kabat": (-8.273, 114.320),
    "Rogojampi": (-8.310, 114.287),
    "Blimbingsari": (-8.333, 114.330),
    "Singojuruh": (-8.300, 114.230),
    "Songgon": (-8.250, 114.180),
    "Sempu": (-8.330, 114.155),
    "Genteng": (-8.367, 114.150),
    "Glenmore": (-8.383, 114.067),
    "Kalibaru": (-8.295, 113.983),
    "Gambiran": (-8.400, 114.120),
    "Tegalsari": (-8.430, 114.100),
    "Srono": (-8.390, 114.255),
    "Cluring": (-8.425, 114.215),
    "Muncar": (-8.433, 114.333),
    "Purwoharjo": (-8.483, 114.245),
    "Tegaldlimo": (-8.540, 114.350),
    "Bangorejo": (-8.500, 114.183),
    "Siliragung": (-8.550, 114.133),
    "Pesanggaran": (-8.590, 114.075),
}
FARTHEST_KM = 15  # beyond this from every centre the point is outside the regency: no name


def area_of(lat: float, lng: float) -> str:
    """The nearest kecamatan's name, or "" when the point is far from all of them."""
    name, km = min(
        ((name, haversine_km(lat, lng, *centre)) for name, centre in KECAMATAN.items()), key=lambda pair: pair[1]
    )
    return name if km <= FARTHEST_KM else ""
