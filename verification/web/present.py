"""What the pages and the API show of clues and orders: the service layer's
views with phone and ID numbers masked in every text that came from a post
(or was typed about one), and authors replaced by stable pseudonyms. Raw
handles never leave the server."""

from __future__ import annotations

from typing import Any

from clue_pipeline.privacy import mask_personal, pseudonym


class Presenter:
    def __init__(self, key: bytes) -> None:
        self.key = key

    def author(self, platform: str | None, author: str | None) -> str:
        return pseudonym(platform, author, self.key)

    def post(self, post: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in post.items() if k != "author"}
        shown["author"] = self.author(post.get("platform"), post.get("author"))
        for name in ("title", "text", "location_text"):
            if name in shown and shown[name] is not None:
                shown[name] = mask_personal(shown[name])
        return shown

    def event(self, event: dict[str, Any]) -> dict[str, Any]:
        return {**event, "note": mask_personal(event.get("note"))}

    def queue_row(self, row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "title": mask_personal(row.get("title"))}

    def clue(self, view: dict[str, Any]) -> dict[str, Any]:
        return {
            **view,
            "title": mask_personal(view.get("title")),
            "reject_note": mask_personal(view.get("reject_note")),
            "posts": [self.post(p) for p in view.get("posts", [])],
            "history": [self.event(e) for e in view.get("history", [])],
            "why": _why(view.get("why")),
        }

    def nearest(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                **entry,
                "nearest": [
                    {
                        **n,
                        "title": mask_personal(n.get("title")),
                        "text": mask_personal(n.get("text")),
                    }
                    for n in entry["nearest"]
                ],
            }
            for entry in entries
        ]

    def candidates(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**e, "title": mask_personal(e.get("title"))} for e in entries]

    def order_summary(self, view: dict[str, Any]) -> dict[str, Any]:
        return {**view, "title": mask_personal(view.get("title"))}

    def order(self, view: dict[str, Any]) -> dict[str, Any]:
        shown = self.order_summary(view)
        shown["description"] = mask_personal(view.get("description"))
        shown["resolution"] = mask_personal(view.get("resolution"))
        shown["evidence"] = [self.post(p) for p in view.get("evidence") or []]
        shown["notes"] = [
            {**n, "text": mask_personal(n.get("text"))} for n in view.get("notes", [])
        ]
        shown["return_visits"] = [
            {**v, "note": mask_personal(v.get("note"))} for v in view.get("return_visits", [])
        ]
        shown["history"] = [self.event(e) for e in view.get("history", [])]
        return shown


def _why(why: dict[str, Any] | None) -> dict[str, Any] | None:
    """The item's nearest example may be a post analysts routed by hand: masked like one."""
    item = (why or {}).get("item")
    if not isinstance(item, dict) or not item.get("example"):
        return why
    return {**why, "item": {**item, "example": mask_personal(item["example"])}}
