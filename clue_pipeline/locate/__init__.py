"""Locate stage: district, street, community, road and landmark of a post,
from the city's gazetteer (``config/gazetteer.yaml``)."""

from clue_pipeline.locate.gazetteer import (
    DEFAULT_GAZETTEER,
    Community,
    District,
    Gazetteer,
    Landmark,
    Street,
    load_gazetteer,
    parse_gazetteer,
)
from clue_pipeline.locate.locator import Location, Locator
from clue_pipeline.locate.matcher import Place

__all__ = [
    "DEFAULT_GAZETTEER",
    "Community",
    "District",
    "Gazetteer",
    "Landmark",
    "Location",
    "Locator",
    "Place",
    "Street",
    "load_gazetteer",
    "parse_gazetteer",
]
