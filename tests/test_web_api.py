"""Every route of ``/api/v1`` against a real database: listings paged with
totals and next links, the clue and order actions as the caller, JSON
errors with the service layer's one line and status, masked text, the
exports and the OpenAPI document."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from web_helpers import login
from workflow_data import make_clue

from clue_pipeline.storage.models import AuditEvent, Clue, CluePost
from verification.transactions import transaction

PHONE = "13812345678"


def test_the_clue_routes_work_a_clue_to_an_order(web) -> None:
    with transaction(web.engine) as session:
        clue = make_clue(session, (f"红星路路灯坏了 电话{PHONE}",), suggested=("红星路路灯不亮",))
        twin = make_clue(session, ("红星路路灯一直不亮",))
        extra = make_clue(session, ("红星路垃圾没人收",))
        clue_id, twin_id, extra_id = clue.id, twin.id, extra.id
        suggested = session.scalars(
            select(CluePost.post_id).where(
                CluePost.clue_id == clue_id, CluePost.membership == "suggested"
            )
        ).one()
    with web.client() as client:
        token = login(client, "alice")
        headers = {"X-CSRF-Token": token}

        def call(action: str, body=None, clue=clue_id):  # noqa: ANN001, ANN202
            return client.post(f"/api/v1/clues/{clue}/{action}", json=body, headers=headers)

        listing = client.get("/api/v1/clues", params={"limit": 2}).json()
        assert listing["total"] == 3 and len(listing["items"]) == 2
        assert listing["next"].endswith("limit=2&offset=2") and listing["prev"] is None
        assert listing["counts"]["pending"] == 3
        rest = client.get(listing["next"]).json()
        assert len(rest["items"]) == 1 and rest["next"] is None and rest["prev"]
        shown = client.get(f"/api/v1/clues/{clue_id}").json()
        assert PHONE not in str(shown) and "[电话已隐藏]" in shown["title"]
        assert all(p["author"].startswith("用户-") for p in shown["posts"])
        assert {"nearest", "merge_candidates", "history", "why"} <= set(shown)

        missing = client.get("/api/v1/clues/9999")
        assert missing.status_code == 404
        assert missing.json() == {
            "error": {"code": "not_found", "message": "clue 9999 does not exist"}
        }
        early = call("verify")
        assert early.status_code == 409
        assert early.json()["error"]["code"] == "transition_forbidden"
        assert early.json()["error"]["message"].startswith("cannot verify clue")

        assert call("claim").json()["claim"]["analyst"] == "alice"
        assert call("release").json()["state"] == "pending"
        assert call("claim").json()["state"] == "claimed"
        assert call("confirm", {"posts": [suggested]}).json()["suggested"] == []
        split = call("split", {"posts": [suggested]}).json()
        assert split["id"] not in (clue_id, twin_id) and split["state"] == "pending"
        merged = call("merge", {"into": clue_id}, clue=twin_id).json()
        assert merged["id"] == clue_id
        edited = call(
            "edit", {"landmark": "红星路口", "region": "K6县", "urgent": True, "note": "核实"}
        ).json()
        assert edited["landmark"] == "红星路口" and edited["urgent"] is True
        assert edited["region"] == "/K6县"
        typo = call("edit", {"landmark": "x", "colour": "red"})
        assert typo.status_code == 422 and typo.json()["error"]["code"] == "invalid_input"
        assert "colour" in typo.json()["error"]["message"]
        assert call("verify", {"note": "属实"}).json()["state"] == "verified"
        order = call("file").json()
        assert order["clue_id"] == clue_id and order["state"] == "filed"
        assert order["filed_by"] == "alice"

        other = client.post("/api/v1/clues/claim-next", json={"urgent": False}, headers=headers)
        taken = other.json()["clue"]["id"]
        assert taken in (extra_id, split["id"])
        bad = call("reject", {"reason": "boring"}, clue=taken)
        assert bad.status_code == 422 and "unknown reject reason 'boring'" in bad.text
        assert call("reject", {"reason": "duplicate"}, clue=taken).json()["state"] == "rejected"
        assert call("reopen", clue=taken).json()["state"] == "pending"
    with transaction(web.engine) as session:
        assert session.get(Clue, clue_id).state == "filed"
        actors = set(
            session.scalars(select(AuditEvent.actor).where(AuditEvent.clue_id.isnot(None)))
        )
        assert actors == {"alice"}


def test_the_order_routes_dispatch_to_closing_and_exports(web) -> None:
    from verification import claims, decisions, filing

    with transaction(web.engine) as session:
        clue = make_clue(session, (f"井盖丢失 联系{PHONE}",), urgent=True)
        claims.claim(session, clue.id, by="alice")
        decisions.verify(session, clue.id, by="alice")
        order_id = filing.file_clue(session, clue.id, by="alice").id
    with web.client() as client:
        token = login(client, "bob")
        headers = {"X-CSRF-Token": token}

        def call(action: str, body=None):  # noqa: ANN001, ANN202
            return client.post(f"/api/v1/orders/{order_id}/{action}", json=body, headers=headers)

        listing = client.get("/api/v1/orders").json()
        assert listing["total"] == 1 and listing["items"][0]["id"] == order_id
        assert PHONE not in str(client.get(f"/api/v1/orders/{order_id}").json())
        assert (
            call("notes", {"text": "督办：今天内派遣"}).json()["notes"][0]["kind"] == "supervision"
        )
        assert call("dispatch", {"department": "市政管理处"}).json()["state"] == "dispatched"
        back = call("return", {"reason": "不归我们管", "to_department": "城管局"}).json()
        assert back["return_count"] == 1 and back["department"] == "城管局"
        assert call("progress", {"note": "已到现场"}).json()["state"] == "in_progress"
        empty = call("progress", {"note": " "})
        assert empty.status_code == 422 and "the progress note is empty" in empty.text
        assert call("resolve", {"note": "已补装"}).json()["state"] == "resolved"
        assert call("close", {"satisfied": True}).json()["satisfied"] is True
        assert call("reopen", {"reason": "又丢了"}).json()["state"] == "reopened"
        none = client.post("/api/v1/orders/999/dispatch", json={}, headers=headers)
        assert none.status_code == 404 and none.json()["error"]["message"] == (
            "order 999 does not exist"
        )
        rows = list(
            csv.DictReader(io.StringIO(client.get("/api/v1/orders/export?format=csv").text))
        )
        assert [int(r["order_id"]) for r in rows] == [order_id]
        assert PHONE not in rows[0]["description"]
        geo = client.get("/api/v1/orders/export?format=open311").json()
        assert geo["requests"][0]["service_request_id"] == str(order_id)
        wrong = client.get("/api/v1/orders/export?format=xml")
        assert wrong.status_code == 422 and "expected open311 or csv" in wrong.text
        assert client.get("/api/v1/orders", params={"state": "lost"}).status_code == 422


def test_the_report_routes_and_supervision(sqlite_web) -> None:
    with transaction(sqlite_web.engine) as session:
        make_clue(session, ("红星路路灯坏了",))
    with sqlite_web.client() as client:
        token = login(client, "bob")
        assert client.get("/api/v1/stats").json()["clues_found"] == 1
        dashboard = client.get("/api/v1/dashboard").json()
        assert dashboard["clues"]["pending"] == 1
        assert {"items", "total", "note"} <= set(client.get("/api/v1/platforms").json())
        report = client.get("/api/v1/reports/weekly", params={"weeks": 4}).json()
        assert len(report["weeks"]) == 4 and "recurring_classes" in report
        assert client.get("/api/v1/reports/weekly", params={"weeks": 1}).status_code == 422
        assert client.get("/api/v1/review/weekly").json()["items"] == []
        ran = client.post("/api/v1/supervise", headers={"X-CSRF-Token": token}).json()
        assert ran["changes"] == 0


def test_the_admin_routes(sqlite_web) -> None:
    with sqlite_web.client() as client:
        token = login(client, "carol")
        headers = {"X-CSRF-Token": token}
        made = client.post(
            "/api/v1/users",
            json={"name": "dave", "role": "analyst", "password": "dave-password-1"},
            headers=headers,
        )
        assert made.status_code == 201 and made.json()["role"] == "analyst"
        again = client.post(
            "/api/v1/users",
            json={"name": "dave", "role": "analyst", "password": "dave-password-1"},
            headers=headers,
        )
        assert again.status_code == 409 and again.json()["error"]["code"] == "already_exists"
        assert (
            client.post(
                "/api/v1/users/dave/role", json={"role": "supervisor"}, headers=headers
            ).json()["role"]
            == "supervisor"
        )
        client.post(
            "/api/v1/users/dave/password", json={"password": "new-password-99"}, headers=headers
        )
        off = client.post("/api/v1/users/dave/active", json={"active": False}, headers=headers)
        assert off.json()["active"] is False
        names = [u["name"] for u in client.get("/api/v1/users").json()["items"]]
        assert names == ["alice", "bob", "carol", "dave"]
        assert client.get("/api/v1/config").json()["web"]["login_attempts"] == 3
        assert (
            client.post(
                "/api/v1/users/zed/role", json={"role": "admin"}, headers=headers
            ).status_code
            == 404
        )


def test_the_openapi_document_lists_every_route(sqlite_web) -> None:
    with sqlite_web.client() as client:
        login(client, "alice")
        schema = client.get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/me",
        "/tokens",
        "/tokens/{token_id}",
        "/clues",
        "/clues/{clue_id}",
        "/clues/claim-next",
        "/clues/{clue_id}/claim",
        "/clues/{clue_id}/release",
        "/clues/{clue_id}/verify",
        "/clues/{clue_id}/reject",
        "/clues/{clue_id}/reopen",
        "/clues/{clue_id}/merge",
        "/clues/{clue_id}/confirm",
        "/clues/{clue_id}/split",
        "/clues/{clue_id}/edit",
        "/clues/{clue_id}/file",
        "/orders",
        "/orders/export",
        "/orders/{order_id}",
        "/orders/{order_id}/dispatch",
        "/orders/{order_id}/progress",
        "/orders/{order_id}/resolve",
        "/orders/{order_id}/close",
        "/orders/{order_id}/reopen",
        "/orders/{order_id}/return",
        "/orders/{order_id}/notes",
        "/dashboard",
        "/stats",
        "/platforms",
        "/reports/weekly",
        "/review/weekly",
        "/supervise",
        "/users",
        "/users/{name}/role",
        "/users/{name}/password",
        "/users/{name}/active",
        "/config",
    } == paths
    assert schema["servers"] == [{"url": "/api/v1"}]
    assert set(schema["components"]["securitySchemes"]) == {"token", "session"}


def test_unknown_routes_and_methods_answer_json(sqlite_web) -> None:
    with sqlite_web.client() as client:
        login(client, "alice")
        assert client.get("/api/v1/nowhere").json()["error"]["code"] == "not_found"
        wrong = client.delete("/api/v1/clues")
        assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"
