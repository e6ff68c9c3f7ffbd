"""Receiver coverage: which positions a volunteer network would have heard, ADS-B or MLAT.

A receiver hears an aircraft within its range and radio horizon (1.23 (√h_antenna + √h_aircraft)
NM, heights in feet above the ground), with a soft fringe. ADS-B positions need one receiver,
MLAT needs four synchronised ones — so MLAT fades at low level. Feeders cluster where people
are: none over the open Caspian, the Syrian and Iraqi deserts or Libya's coast beyond Benghazi.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from basewatch.simulate.geo import EARTH_M, Bools, Floats, xyz

#: (name, lat, lon, antenna height ft, usable range km, takes part in MLAT)
RECEIVERS: tuple[tuple[str, float, float, float, float, bool], ...] = (
    # Russia
    ("Moscow-1", 55.75, 37.62, 120, 380, True),
    ("Moscow-2", 55.93, 38.10, 80, 330, True),
    ("Moscow-3", 55.60, 37.30, 100, 350, True),
    ("Tver", 56.86, 35.90, 60, 300, True),
    ("Tula", 54.20, 37.62, 60, 300, True),
    ("Ryazan", 54.63, 39.73, 60, 300, True),
    ("Lipetsk", 52.61, 39.59, 60, 300, True),
    ("Voronezh", 51.67, 39.20, 80, 320, True),
    ("Tambov", 52.72, 41.45, 50, 280, True),
    ("Saratov", 51.53, 46.03, 80, 320, True),
    ("Volgograd", 48.71, 44.51, 80, 320, True),
    ("Rostov", 47.23, 39.72, 80, 320, True),
    ("Krasnodar", 45.04, 38.98, 80, 320, True),
    ("Stavropol", 45.04, 41.97, 150, 350, True),
    ("Elista", 46.31, 44.26, 40, 260, True),
    ("Astrakhan", 46.35, 48.04, 60, 300, True),
    ("Makhachkala", 42.98, 47.50, 80, 300, True),
    ("Sochi", 43.60, 39.73, 150, 300, True),
    ("Samara", 53.20, 50.15, 80, 330, True),
    ("Ulyanovsk", 54.32, 48.40, 60, 300, True),
    ("Kazan", 55.79, 49.12, 80, 330, True),
    ("Penza", 53.20, 45.00, 50, 280, True),
    ("Orenburg", 51.77, 55.10, 60, 300, True),
    ("Uralsk", 51.23, 51.37, 40, 260, True),
    # Caucasus, Iran, Iraq
    ("Baku", 40.41, 49.87, 100, 320, True),
    ("Tbilisi", 41.72, 44.79, 150, 300, True),
    ("Yerevan", 40.18, 44.51, 100, 280, False),
    ("Tehran", 35.70, 51.40, 60, 250, False),
    ("Erbil", 36.19, 44.01, 80, 300, True),
    ("Baghdad", 33.31, 44.37, 60, 260, False),
    # Gulf and Arabia
    ("Kuwait", 29.37, 47.98, 80, 320, True),
    ("Bahrain", 26.23, 50.58, 80, 320, True),
    ("Doha", 25.29, 51.53, 80, 320, True),
    ("Dubai", 25.20, 55.27, 150, 350, True),
    ("Sharjah", 25.35, 55.42, 80, 320, True),
    ("Abu Dhabi", 24.45, 54.38, 80, 320, True),
    ("Al Ain", 24.21, 55.74, 60, 300, True),
    ("Riyadh", 24.71, 46.68, 80, 320, False),
    ("Jeddah", 21.54, 39.17, 80, 320, True),
    ("Makkah", 21.39, 39.86, 60, 260, True),
    ("Dammam", 26.42, 50.09, 60, 300, True),
    ("Medina", 24.47, 39.61, 60, 280, False),
    # Levant, Turkey, Cyprus
    ("Latakia", 35.52, 35.78, 150, 300, True),
    ("Tartus", 34.89, 35.89, 100, 280, True),
    ("Damascus", 33.51, 36.29, 80, 280, True),
    ("Tripoli-LB", 34.43, 35.84, 120, 300, True),
    ("Beirut", 33.89, 35.50, 150, 320, True),
    ("Antakya", 36.20, 36.16, 150, 320, True),
    ("Iskenderun", 36.58, 36.17, 100, 300, True),
    ("Adana", 37.00, 35.32, 100, 350, True),
    ("Gaziantep", 37.07, 37.38, 100, 320, True),
    ("Sanliurfa", 37.16, 38.79, 80, 300, True),
    ("Mersin", 36.80, 34.63, 100, 320, True),
    ("Antalya", 36.90, 30.70, 150, 350, True),
    ("Kayseri", 38.72, 35.49, 100, 320, True),
    ("Ankara", 39.93, 32.86, 100, 330, True),
    ("Samsun", 41.29, 36.33, 100, 330, True),
    ("Trabzon", 41.00, 39.72, 150, 320, True),
    ("Diyarbakir", 37.91, 40.22, 80, 300, True),
    ("Larnaca", 34.92, 33.62, 80, 350, True),
    ("Nicosia", 35.17, 33.36, 150, 380, True),
    ("Paphos", 34.77, 32.42, 100, 350, True),
    ("Protaras", 35.01, 34.05, 80, 330, True),
    ("Limassol", 34.68, 33.04, 200, 380, True),
    ("Haifa", 32.79, 34.99, 150, 350, True),
    ("Tel Aviv", 32.08, 34.78, 100, 330, True),
    ("Jerusalem", 31.77, 35.21, 100, 320, True),
    ("Beersheba", 31.25, 34.79, 80, 300, True),
    ("Amman", 31.95, 35.93, 100, 320, True),
    ("Irbid", 32.55, 35.85, 80, 300, True),
    # Egypt, Greece, Libya, Malta
    ("Cairo", 30.04, 31.24, 100, 320, True),
    ("Alexandria", 31.20, 29.92, 100, 330, True),
    ("Port Said", 31.26, 32.30, 80, 320, True),
    ("Heraklion", 35.34, 25.13, 150, 380, True),
    ("Chania", 35.51, 24.02, 150, 380, True),
    ("Rhodes", 36.43, 28.22, 150, 380, True),
    ("Karpathos", 35.51, 27.21, 300, 400, True),
    ("Athens", 37.98, 23.73, 150, 350, True),
    ("Benghazi", 32.12, 20.07, 100, 300, True),
    ("Misrata", 32.38, 15.09, 60, 280, False),
    ("Tripoli-LY", 32.89, 13.19, 80, 300, False),
    ("Malta", 35.90, 14.51, 150, 380, True),
)

FRINGE = 0.2  # the outer fifth of a receiver's reach is heard less and less
MLAT_RECEIVERS = 4


def horizon_km(height_ft: Floats, antenna_ft: Floats) -> Floats:
    """Radio horizon between an antenna and an aircraft ``height_ft`` above the ground."""
    return np.asarray(1.23 * 1.852 * (np.sqrt(np.maximum(height_ft, 0.0)) + np.sqrt(antenna_ft)))


@dataclass(frozen=True)
class Coverage:
    """The receiver network; ``heard`` tells which positions reach it, and how."""

    lat: Floats
    lon: Floats
    antenna_ft: Floats
    range_km: Floats
    mlat: Floats

    @classmethod
    def default(cls) -> Coverage:
        cols = list(zip(*RECEIVERS, strict=True))
        return cls(*(np.asarray(c, float) for c in cols[1:]))

    def _km(self, lat: Floats, lon: Floats) -> Floats:
        """Distances (n, r) from positions to receivers, km (chord: exact to 0.1 % at 500 km)."""
        dot = xyz(lat, lon) @ xyz(self.lat, self.lon).T
        return np.asarray(EARTH_M / 1000 * np.sqrt(np.maximum(2 * (1 - dot), 0.0)))

    def near(self, lat: Floats, lon: Floats) -> Coverage:
        """The receivers that could hear any of these positions (a coarse pre-filter)."""
        step = max(1, len(lat) // 200)
        d = self._km(lat[::step], lon[::step])
        # positions between the sampled ones lie within half a sample's flight of one of them
        slack_km = step * 60.0 * 0.25
        keep = np.min(d, axis=0) <= self.range_km + slack_km
        return Coverage(
            self.lat[keep],
            self.lon[keep],
            self.antenna_ft[keep],
            self.range_km[keep],
            self.mlat[keep],
        )

    def reach(self, lat: Floats, lon: Floats, height_ft: Floats) -> Floats:
        """Per position and receiver (n, r), the probability that it hears the aircraft."""
        d = self._km(lat, lon)
        limit = np.minimum(self.range_km[None, :], horizon_km(height_ft[:, None], self.antenna_ft))
        return np.asarray(np.clip((limit - d) / (FRINGE * limit), 0.0, 1.0))

    def heard(
        self, lat: Floats, lon: Floats, height_ft: Floats, rng: np.random.Generator
    ) -> tuple[Bools, Bools]:
        """Which positions are heard as ADS-B, and which could be multilaterated."""
        near = self.near(lat, lon)
        p = near.reach(lat, lon, height_ft)
        any_p = 1 - np.prod(1 - p, axis=1)
        adsb = rng.random(len(lat)) < any_p * 0.97
        synced = np.sum((p > 0.5) & (near.mlat[None, :] > 0), axis=1)
        mlat = (synced >= MLAT_RECEIVERS) & (rng.random(len(lat)) < 0.85)
        return adsb, mlat
