"""Identify aircraft: country of registration from the ICAO address and the registration mark.

Reads the store and package data only; never imports later stages (flights, activity, report).
"""

from basewatch.identify.blocks import (
    address_blocks,
    countries_of_addresses,
    country_of_address,
    register_blocks,
)
from basewatch.identify.registrations import (
    countries_of_registrations,
    country_of_registration,
    register_registration_prefixes,
    registration_prefixes,
)

__all__ = [
    "address_blocks",
    "countries_of_addresses",
    "countries_of_registrations",
    "country_of_address",
    "country_of_registration",
    "register_blocks",
    "register_registration_prefixes",
    "registration_prefixes",
]
