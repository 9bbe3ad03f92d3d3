"""The matter catalogue: category -> subcategory -> item -> department, loaded
from ``config/catalog.yaml``; a zero-training keyword matcher over it; and the
configurable urgency rules of ``config/urgency.yaml``."""

from clue_pipeline.catalog.loader import load_catalog
from clue_pipeline.catalog.matcher import CatalogMatcher, ItemMatch
from clue_pipeline.catalog.models import Catalog, Category, Item, Subcategory
from clue_pipeline.catalog.urgency import Urgency, UrgencyRules

__all__ = [
    "Catalog",
    "CatalogMatcher",
    "Category",
    "Item",
    "ItemMatch",
    "Subcategory",
    "Urgency",
    "UrgencyRules",
    "load_catalog",
]
