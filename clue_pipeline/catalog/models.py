"""Pydantic models of ``config/catalog.yaml``: validated when loaded, unknown
keys rejected, cross-checks (unique codes and names) done once."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, model_validator

CODE_PATTERN = r"^[A-Z][A-Z0-9]{0,7}(-[0-9A-Z]{1,4}){1,3}$"
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Example = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=300)]
OTHER = "其他"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(Strict):
    """A level-3 matter: what is handled, by whom, how fast."""

    code: Annotated[str, Field(pattern=CODE_PATTERN)]
    name: Name
    department: Name
    keywords: list[Keyword] = Field(min_length=1, max_length=30)
    description: str = ""
    deadline_days: int = Field(ge=1, le=365)
    urgency: Literal["urgent", "normal"] = "normal"
    examples: list[Example] = Field([], max_length=20)


class Subcategory(Strict):
    name: Name
    department: Name
    description: str = ""
    keywords: list[Keyword] = []
    items: list[Item] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_items(self) -> Subcategory:
        _no_duplicates([i.name for i in self.items], "item name")
        return self


class Category(Strict):
    name: Name
    code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{0,7}$")]
    description: str = ""
    keywords: list[Keyword] = []
    subcategories: list[Subcategory] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_subcategories(self) -> Category:
        _no_duplicates([s.name for s in self.subcategories], "subcategory name")
        return self

    def items(self) -> list[Item]:
        return [item for sub in self.subcategories for item in sub.items]

    def fallback_item(self) -> Item:
        """The item for a matter of this category with no closer match: the
        general "其他" item of the "其他" subcategory, else the first 其他 item,
        else the first item."""
        others = [i for s in self.subcategories if s.name == OTHER for i in s.items]
        others = others or [i for i in self.items() if i.name == OTHER]
        return (others or self.items())[0]


class Catalog(Strict):
    version: Literal[1] = 1
    categories: list[Category] = Field(min_length=1)
    _code_index: dict[str, tuple[Item, Category, Subcategory]] | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _unique_codes(self) -> Catalog:
        _no_duplicates([c.name for c in self.categories], "category name")
        _no_duplicates([c.code for c in self.categories], "category code")
        _no_duplicates([i.code for c in self.categories for i in c.items()], "item code")
        return self

    # lookups -----------------------------------------------------------------
    def item(self, code: str) -> Item:
        """The item with this service code; KeyError when there is none."""
        return self._index()[code][0]

    def place(self, code: str) -> tuple[Category, Subcategory, Item]:
        """Category, subcategory and item of a service code."""
        item, category, sub = self._index()[code]
        return category, sub, item

    def category(self, name: str) -> Category:
        for category in self.categories:
            if category.name == name:
                return category
        raise KeyError(name)

    def items_of(self, category: str) -> list[Item]:
        """Every item of a category, in catalogue order."""
        return self.category(category).items()

    def find(self, name: str, category: str | None = None) -> list[Item]:
        """Items named ``name`` (optionally inside one category). Item names
        repeat across the catalogue (e.g. 其他), so this returns a list."""
        return [
            item
            for cat in self.categories
            if category is None or cat.name == category
            for item in cat.items()
            if item.name == name
        ]

    def all_items(self) -> list[tuple[Category, Subcategory, Item]]:
        return [(c, s, i) for c in self.categories for s in c.subcategories for i in s.items]

    def _index(self) -> dict[str, tuple[Item, Category, Subcategory]]:
        if self._code_index is None:
            self._code_index = {i.code: (i, c, s) for c, s, i in self.all_items()}
        return self._code_index


def _no_duplicates(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)
