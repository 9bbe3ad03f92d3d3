"""Exports for other systems: Open311 GeoReport v2 JSON, checked against the
spec's field lists, and CSV; personal data in post text is masked."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from workflow_data import T0, add_post, make_clue

from clue_pipeline import settings
from clue_pipeline.catalog import load_catalog
from clue_pipeline.locate import load_gazetteer
from clue_pipeline.privacy import ID_MASK, PHONE_MASK
from verification import claims, decisions, filing, orders
from verification.export import CSV_COLUMNS, open311, orders_csv
from verification.transactions import transaction

# GeoReport v2 (wiki.open311.org/GeoReport_v2): GET services, GET requests.
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
SERVICE_TYPES = {"realtime", "batch", "blackbox"}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
REQUEST_DATETIMES = ("requested_datetime", "updated_datetime", "expected_datetime")

PRIVATE = "红星路路灯坏了，联系我13812345678，身份证11010519491231002X"


def _two_orders(engine) -> tuple[int, int]:  # noqa: ANN001
    with transaction(engine) as session:
        open_clue = make_clue(session, (PRIVATE,))
        add_post(session, open_clue, "照片在这", media=("/media/lamp.jpg",))
        done_clue = make_clue(session, ("东湖路井盖丢了",))
        ids = []
        for clue in (open_clue, done_clue):
            claims.claim(session, clue.id, by="alice", now=T0)
            decisions.verify(session, clue.id, by="alice", now=T0)
            ids.append(filing.file_clue(session, clue.id, by="alice", now=T0).id)
        orders.dispatch(session, ids[1], by="alice", now=T0)
        orders.resolve(session, ids[1], by="城管", note="已补装井盖，电话0571-87654321", now=T0)
    return ids[0], ids[1]


def test_open311_has_exactly_the_fields_of_the_georeport_v2_spec(engine) -> None:  # noqa: ANN001
    open_id, done_id = _two_orders(engine)
    data = open311(engine)
    catalog = load_catalog(settings.catalog_file())
    assert len(data["services"]) == len(catalog.all_items())
    for service in data["services"]:
        assert set(service) == SERVICE_FIELDS
        assert service["type"] in SERVICE_TYPES
        assert isinstance(service["metadata"], bool)
        assert service["service_code"] and service["service_name"] and service["group"]
        assert isinstance(service["keywords"], str) and "," in service["keywords"]
    requests = {r["service_request_id"]: r for r in data["requests"]}
    assert set(requests) == {str(open_id), str(done_id)}
    for request in requests.values():
        assert set(request) == REQUEST_FIELDS
        assert request["status"] in {"open", "closed"}
        for key in REQUEST_DATETIMES:
            moment = datetime.fromisoformat(request[key])
            assert moment.utcoffset() is not None  # W3C datetime with its offset
        assert request["service_code"] in {s["service_code"] for s in data["services"]}
    opened, done = requests[str(open_id)], requests[str(done_id)]
    assert (opened["status"], done["status"]) == ("open", "closed")
    assert opened["agency_responsible"] == "城市管理和综合执法局"
    assert opened["address"] == "江北区"
    jiangbei = load_gazetteer(settings.gazetteer_file()).district("江北区").at
    assert (opened["lat"], opened["long"]) == (jiangbei.lat, jiangbei.long)
    assert opened["media_url"] == "http://forum.invalid/media/lamp.jpg"
    assert datetime.fromisoformat(opened["expected_datetime"]) == T0 + timedelta(
        minutes=120, days=10
    )
    # personal data never leaves
    assert "13812345678" not in opened["description"]
    assert PHONE_MASK in opened["description"] and ID_MASK in opened["description"]
    assert done["status_notes"] == f"已补装井盖，电话{PHONE_MASK}"


def test_csv_has_one_masked_row_per_order(engine) -> None:  # noqa: ANN001
    open_id, done_id = _two_orders(engine)
    rows = list(csv.DictReader(io.StringIO(orders_csv(engine))))
    assert [int(r["order_id"]) for r in rows] == [open_id, done_id]
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["status"] == "open" and rows[1]["status"] == "closed"
    assert "13812345678" not in rows[0]["description"] + rows[0]["title"]
    assert rows[0]["links"].startswith("http://forum.invalid/t/")
    only_resolved = list(csv.DictReader(io.StringIO(orders_csv(engine, state="resolved"))))
    assert [int(r["order_id"]) for r in only_resolved] == [done_id]
