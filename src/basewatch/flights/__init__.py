"""Flights: cut tracks into flights, find takeoff and landing airports (dark ones inferred with a
stated confidence), and chain them into routes. Reads positions; never imports later stages."""

from basewatch.flights.airports import airport_table
from basewatch.flights.build import FlightBuilder
from basewatch.flights.endpoints import EndpointFinder
from basewatch.flights.segment import Segmenter

__all__ = ["EndpointFinder", "FlightBuilder", "Segmenter", "airport_table"]
