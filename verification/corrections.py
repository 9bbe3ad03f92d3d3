"""Analysts' corrections of a clue: category, item, department, place and
urgency. A corrected field is recorded in ``Clue.corrections``, so processing
that adds posts later keeps it; a corrected category labels the posts for
``clues train --from-decisions``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from clue_pipeline import settings
from clue_pipeline.catalog import Catalog, load_catalog
from clue_pipeline.locate import load_gazetteer
from clue_pipeline.locate.elsewhere import CITY_SUFFIXES, REGION_NAME, join_region
from clue_pipeline.storage.models import Clue
from verification import clue_states, labels
from verification.claims import require_free
from verification.config import WorkflowConfig, load_workflow_config
from verification.errors import InvalidInput
from verification.inputs import actor, moment
from verification.membership import refresh
from verification.transactions import lock_clue

PLACE_FIELDS = ("district", "street", "road", "community", "landmark")
#: the ``region`` an analyst gives to say the clue is about no other city or county
NO_REGION = "-"


@dataclass(frozen=True)
class Correction:
    """What an analyst asks to change; None leaves a field as it is."""

    category: str | None = None
    item_code: str | None = None
    department: str | None = None
    district: str | None = None
    street: str | None = None
    road: str | None = None
    community: str | None = None
    landmark: str | None = None
    region: str | None = None  # another city and county ("K市/K6县"); NO_REGION clears it
    urgent: bool | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _text(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"{field} is empty; hint: give a value or leave the option out")
    return value


def _routing(catalog: Catalog, clue: Clue, change: Correction) -> dict[str, Any]:
    """Category, item and department the correction leads to, checked
    against the catalogue."""
    out: dict[str, Any] = {}
    if change.item_code is not None:
        code = _text(change.item_code, "item")
        try:
            category, _sub, item = catalog.place(code)
        except KeyError:
            raise InvalidInput(
                f"unknown catalogue item {code!r}; hint: item codes look like CX-03-02, "
                "see config/catalog.yaml"
            ) from None
        if change.category is not None and _text(change.category, "category") != category.name:
            raise InvalidInput(
                f"item {code} ({item.name}) belongs to category {category.name}, "
                f"not {change.category.strip()}"
            )
        out.update(category=category.name, item_code=item.code, department=item.department)
    elif change.category is not None:
        name = _text(change.category, "category")
        try:
            category = catalog.category(name)
        except KeyError:
            known = ", ".join(c.name for c in catalog.categories)
            raise InvalidInput(f"unknown category {name!r}; expected one of: {known}") from None
        out["category"] = category.name
        # the item (and so the department) is fixed with the category, so that
        # processing cannot later pick an item of another category
        items = {i.code: i for i in category.items()}
        if clue.item_code in items:
            out.update(item_code=clue.item_code, department=clue.department)
        else:
            item = category.fallback_item()
            out.update(item_code=item.code, department=item.department)
        if not out["department"]:
            out["department"] = items[out["item_code"]].department
    if change.department is not None:
        out["department"] = _text(change.department, "department")
    return out


def _region(value: str) -> str | None:
    """An analyst's region as processing stores it ("K市/K6县", "K市", "/K6县"), from one or
    two names of another city and county in either order ("K6县 K市" too); None for
    ``NO_REGION``."""
    value = _text(value, "region")
    if value == NO_REGION:
        return None
    names = [n for n in re.split(r"[/\s,，、]+", value) if n]
    cities = [n for n in names if n.endswith(CITY_SUFFIXES)]
    counties = [n for n in names if not n.endswith(CITY_SUFFIXES)]
    if (
        not names
        or len(cities) > 1
        or len(counties) > 1
        or not all(map(REGION_NAME.fullmatch, names))
    ):
        raise InvalidInput(
            f"region {value!r} is not one city and one county; expected a city, a county or "
            f"both, e.g. K市/K6县, 长沙市 or K6县 (hint: {NO_REGION} says the clue is about "
            "no other city or county)"
        )
    return join_region(cities[0] if cities else "", counties[0] if counties else "")


def _place(clue: Clue, change: Correction) -> dict[str, Any]:
    out: dict[str, Any] = {
        f: _text(getattr(change, f), f) for f in PLACE_FIELDS if getattr(change, f) is not None
    }
    if change.region is not None:
        out["region"] = _region(change.region)
    if "district" not in out and "street" not in out:
        return out
    gazetteer = load_gazetteer(settings.gazetteer_file())
    name = out.get("district", clue.district)
    district = gazetteer.district(name) if name else None
    if "district" in out and district is None:
        known = ", ".join(gazetteer.district_names())
        raise InvalidInput(f"unknown district {name!r}; expected one of: {known}")
    if "street" in out:
        streets = {s.name for s in district.streets} if district else set()
        if out["street"] not in streets:
            where = f"of {district.name}" if district else "(the clue has no district)"
            known = ", ".join(sorted(streets)) or "set --district first"
            raise InvalidInput(
                f"unknown street {out['street']!r} {where}; expected one of: {known}"
            )
    return out


def edit(
    session: Session,
    clue_id: int,
    change: Correction,
    *,
    by: str,
    note: str = "",
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
) -> Clue:
    """Correct the clue's fields; returns the clue."""
    by, now, config = actor(by), moment(now), config or load_workflow_config()
    if not change.given():
        raise InvalidInput(
            "nothing to change; hint: pass --category, --item, --department, --district, "
            "--street, --road, --community, --landmark, --region, --urgent or --not-urgent"
        )
    clue = lock_clue(session, clue_id)
    clue_states.require(clue, "edit")
    require_free(session, clue, by, now, config)
    catalog = load_catalog(settings.catalog_file())
    values = {**_routing(catalog, clue, change), **_place(clue, change)}
    if change.urgent is not None:
        values["urgent"] = change.urgent
    changed = {k: [getattr(clue, k), v] for k, v in values.items() if getattr(clue, k) != v}
    corrections = dict(clue.corrections or {})
    for field, value in values.items():
        corrections[field] = {
            "value": value,
            "from": getattr(clue, field),
            "by": by,
            "at": now.isoformat(),
        }
        setattr(clue, field, value)
    if "item_code" in values:
        clue.item_name = catalog.item(values["item_code"]).name
    if "category" in values:
        clue.category_confidence = 1.0
    if "urgent" in values:
        clue.dispatch_tier = "urgent" if clue.urgent else "normal"
    clue.corrections = corrections
    clue_states.advance(
        session, clue, "edit", by=by, now=now, note=note, details={"changed": changed}
    )
    if "category" in values:
        before = changed.get("category", [values["category"]])[0]
        labels.label_clue(
            session, clue.id, values["category"], by=by, now=now, note=f"corrected from {before}"
        )
    refresh(session, {clue.id}, now)
    session.flush()
    return clue
