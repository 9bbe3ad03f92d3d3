"""The pages over a real database: the queue's filters, counts and pages;
a clue with hostile text escaped, numbers masked, authors pseudonymised and
links that do not leak; every clue action through its form as the
logged-in user; orders with their countdowns and supervisors' actions; the
dashboard with a silent collector."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from web_helpers import login
from workflow_data import T0, make_clue

from clue_pipeline.privacy import pseudonym
from clue_pipeline.secret_key import secret_key
from clue_pipeline.storage.crawl_runs import RunTotals, finish_run, start_run
from clue_pipeline.storage.models import AuditEvent, Clue, CluePost, Post, WorkOrder
from clue_pipeline.storage.types import utcnow
from verification.transactions import transaction

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"


def clue_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-clue="(\d+)"', html)]


def make_queue(engine) -> dict[str, int]:  # noqa: ANN001
    now = utcnow()
    with transaction(engine) as session:
        lamp = make_clue(
            session, ("红星路路灯坏了一个月",), priority=20, at=now - timedelta(days=1)
        )
        well = make_clue(
            session, ("滨江路井盖丢失，很危险",), urgent=True, priority=5, district="江南区", at=now
        )
        noise = make_clue(
            session,
            ("广场舞音乐太吵",),
            category="生态环境",
            priority=30,
            item_code=None,
            at=now - timedelta(days=10),
        )
        hostile = make_clue(
            session,
            (f"路灯不亮 {PAYLOAD} 联系 {PHONE} 身份证 {ID_NUMBER}",),
            suggested=("路灯还是不亮",),
            priority=1,
            at=now,
        )
        session.execute(
            Post.__table__.update()
            .where(Post.text == "滨江路井盖丢失，很危险")
            .values(platform="short_video")
        )
        # a source link that is no web address (a crawled or imported javascript: URL)
        session.execute(
            Post.__table__.update()
            .where(Post.text == "路灯还是不亮")
            .values(url=" JavaScript:alert(document.cookie)")
        )
        return {"lamp": lamp.id, "well": well.id, "noise": noise.id, "hostile": hostile.id}


def test_the_queue_filters_counts_and_pages(sqlite_web) -> None:
    ids = make_queue(sqlite_web.engine)
    with sqlite_web.client() as client:
        login(client, "alice")
        page = client.get("/queue").text
        # urgent first, then by priority; urgent rows stand out
        assert clue_ids(page) == [ids["well"], ids["noise"], ids["lamp"], ids["hostile"]]
        assert f'class="urgent-row" data-clue="{ids["well"]}"' in page
        assert "共 4 条" in page and "待认领 <b>4</b>" in page
        assert clue_ids(client.get("/queue?urgent=1").text) == [ids["well"]]
        assert clue_ids(client.get("/queue?district=江南区").text) == [ids["well"]]
        assert clue_ids(client.get("/queue?category=生态环境").text) == [ids["noise"]]
        assert clue_ids(client.get("/queue?platform=short_video").text) == [ids["well"]]
        today = (utcnow() + timedelta(hours=8)).date()
        recent = client.get(f"/queue?since={today - timedelta(days=2)}").text
        assert ids["noise"] not in clue_ids(recent) and ids["lamp"] in clue_ids(recent)
        old = client.get(f"/queue?until={today - timedelta(days=5)}").text
        assert clue_ids(old) == [ids["noise"]]
        assert clue_ids(client.get("/queue?sort=newest").text)[-1] == ids["noise"]
        assert clue_ids(client.get("/queue?q=井盖").text) == [ids["well"]]
        wrong = client.get("/queue?since=yesterday")
        assert wrong.status_code == 422 and "since &#39;yesterday&#39; is no date" in wrong.text
        assert client.get("/queue?state=bogus").status_code == 422
    sqlite_web.config = sqlite_web.config.model_copy(update={"page_size": 5})
    with transaction(sqlite_web.engine) as session:
        for n in range(4):
            make_clue(session, (f"第{n}处积水",), priority=0)
    with sqlite_web.client() as client:
        login(client, "alice")
        first = client.get("/queue").text
        second = client.get("/queue?page=2").text
        assert len(clue_ids(first)) == 5 and len(clue_ids(second)) == 3
        assert "第 1 / 2 页" in first and "page=2" in first
        assert not set(clue_ids(first)) & set(clue_ids(second))


def test_a_clue_page_shows_hostile_text_as_text_masked_and_pseudonymised(sqlite_web) -> None:
    ids = make_queue(sqlite_web.engine)
    with transaction(sqlite_web.engine) as session:
        author = session.scalars(select(Post.author).where(Post.text.contains(PHONE))).one()
        # the reason of a category the catalogue named (its terms come from the post)
        reason = {"label": "政法", "confidence": 0.9, "terms": ["户口"], "reason": PAYLOAD}
        example = {
            "code": "CX-02-04",
            "terms": [],
            "example": f"{PAYLOAD} 联系 {PHONE}",  # a post analysts routed by hand
            "similarity": 0.42,
        }
        session.get(Clue, ids["hostile"]).why = {"category": reason, "item": example}
        session.get(Clue, ids["hostile"]).region = "<b>K市/K6县"  # found in scraped text
    with sqlite_web.client() as client:
        login(client, "alice")
        page = client.get(f"/clues/{ids['hostile']}").text
        queue = client.get("/queue").text
        api = client.get(f"/api/v1/clues/{ids['hostile']}").text
    for html in (page, queue):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert PHONE not in html and ID_NUMBER not in html
    assert (
        page.count(
            "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
        )
        >= 3  # the post, the category's reason and the item's nearest example
    )
    assert '<span class="reason">&lt;script&gt;' in page
    assert '<span class="example">相近示例：&lt;script&gt;' in page and "（相似度 0.42）" in page
    assert "[电话已隐藏]" in page and "[证件号已隐藏]" in page
    assert "外地：&lt;b&gt;K市/K6县" in page and "<b>K市" not in page
    assert '"region":"<b>K市/K6县"' in api.replace(": ", ":")
    assert author not in page and author not in api and PHONE not in api
    assert pseudonym("city_forum", author, secret_key()) in page
    links = re.findall(r'<a href="http://forum\.invalid/[^"]+"([^>]*)>', page)
    assert links and all('rel="noopener noreferrer nofollow"' in attrs for attrs in links)
    # only web addresses are linked: the javascript: one is no link at all
    assert re.findall(r'<a href="([^"]*)"[^>]*class="source"', page) == [
        href
        for href in re.findall(r'<a href="([^"]*)"[^>]*class="source"', page)
        if href.startswith("http://forum.invalid/")
    ]
    assert "javascript" not in page.lower()
    assert "疑似重复" in page and 'id="confirm"' in page and 'id="claim"' in page


def test_working_a_clue_through_its_forms(web) -> None:
    with transaction(web.engine) as session:
        clue = make_clue(
            session, ("红星路路灯坏了",), suggested=("红星路路灯不亮", "红星路好多垃圾")
        )
        twin = make_clue(session, ("红星路的路灯一直不亮",))
        clue_id, twin_id = clue.id, twin.id

    with transaction(web.engine) as session:
        suggested = list(
            session.scalars(
                select(CluePost.post_id)
                .where(CluePost.clue_id == clue_id, CluePost.membership == "suggested")
                .order_by(CluePost.id)
            )
        )
    with web.client() as client:
        token = login(client, "alice")

        def post(action: str, **data):  # noqa: ANN003, ANN202
            return client.post(
                f"/clues/{clue_id}/{action}",
                data={"csrf_token": token, **data},
                follow_redirects=False,
            )

        early = post("verify")
        assert early.status_code == 409 and "it is pending; hint: claim it first" in early.text
        assert post("claim").headers["location"] == f"/clues/{clue_id}?done=claim"
        page = client.get(f"/clues/{clue_id}?done=claim").text
        assert "已认领线索" in page and 'id="confirm"' in page and 'id="split"' in page
        blocked = post("verify")
        assert blocked.status_code == 409 and "suggested duplicate posts wait" in blocked.text
        assert post("confirm", posts=[str(suggested[0])]).status_code == 303
        split = post("split", posts=[str(suggested[1])])
        assert split.status_code == 303
        new_clue = int(re.search(r"/clues/(\d+)", split.headers["location"]).group(1))
        assert new_clue not in (clue_id, twin_id)
        absorbed = post("absorb", other=str(twin_id))
        assert absorbed.headers["location"] == f"/clues/{clue_id}?done=merge"
        edited = post(
            "edit",
            category="城乡建设",
            item_code="",
            department="",
            district="江北区",
            street="",
            community="",
            landmark="红星路口",
            region="K市/K6县",
            urgency="urgent",
            note="现场核实",
        )
        assert edited.status_code == 303, edited.text[-500:]
        assert post("verify", note="属实").status_code == 303
        filed = post("file")
        assert filed.status_code == 303
        order_id = int(re.search(r"/orders/(\d+)", filed.headers["location"]).group(1))
        order_page = client.get(filed.headers["location"]).text
        assert "已立案，生成工单" in order_page and "派遣时限" in order_page
        assert 'id="dispatch"' not in order_page  # analysts see orders, supervisors act
        assert f'data-order="{order_id}"' in client.get("/orders").text
    with transaction(web.engine) as session:
        clue = session.get(Clue, clue_id)
        assert (clue.state, clue.urgent, clue.landmark) == ("filed", True, "红星路口")
        assert clue.region == "K市/K6县"
        assert session.get(Clue, twin_id).merged_into_id == clue_id
        actors = set(session.scalars(select(AuditEvent.actor).where(AuditEvent.clue_id == clue_id)))
        assert actors == {"alice"}
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.clue_id == clue_id)
                .order_by(AuditEvent.id)
            )
        )
        assert actions == [
            "claim",
            "confirm",
            "split",
            "absorb",
            "edit",
            "verify",
            "file",
            "create",
        ]


def test_reject_release_reopen_and_merge_into_another(sqlite_web) -> None:
    with transaction(sqlite_web.engine) as session:
        first = make_clue(session, ("广场舞太吵",)).id
        second = make_clue(session, ("广场舞噪音扰民",)).id
    with sqlite_web.client() as client:
        token = login(client, "alice")

        def post(clue: int, action: str, **data):  # noqa: ANN003, ANN202
            return client.post(
                f"/clues/{clue}/{action}",
                data={"csrf_token": token, **data},
                follow_redirects=False,
            )

        post(first, "claim")
        assert post(first, "release").headers["location"].endswith("done=release")
        post(first, "claim")
        other = post(first, "reject", reason="other", note="")
        assert other.status_code == 422 and "reason &#39;other&#39; needs a note" in other.text
        assert post(first, "reject", reason="not_public_service").status_code == 303
        page = client.get(f"/clues/{first}").text
        assert "驳回原因：非公共服务问题" in page and 'id="reopen"' in page
        assert post(first, "reopen").status_code == 303
        merged = post(first, "merge", into=str(second))
        assert merged.headers["location"] == f"/clues/{second}?done=merge"
        assert post(first, "merge", into="").status_code == 422
    with transaction(sqlite_web.engine) as session:
        assert session.get(Clue, first).state == "merged"


def test_orders_show_countdowns_and_supervisors_act(web) -> None:
    from verification import claims, decisions, filing

    with transaction(web.engine) as session:
        clue = make_clue(session, ("井盖丢失",), urgent=True)
        claims.claim(session, clue.id, by="alice", now=T0)
        decisions.verify(session, clue.id, by="alice", now=T0)
        order = filing.file_clue(session, clue.id, by="alice", now=T0)
        late_id = order.id
        fresh = make_clue(session, ("路灯不亮",))
        claims.claim(session, fresh.id, by="alice")
        decisions.verify(session, fresh.id, by="alice")
        fresh_id = filing.file_clue(session, fresh.id, by="alice").id
    with web.client() as client:
        token = login(client, "bob")
        listing = client.get("/orders").text
        assert listing.index(f'data-order="{late_id}"') < listing.index(f'data-order="{fresh_id}"')
        assert f'class="overdue-row urgent-row" data-order="{late_id}"' in listing
        assert 'class="countdown overdue"' in listing and "超时" in listing and "剩余" in listing
        assert f'data-order="{fresh_id}"' not in client.get("/orders?overdue=1").text

        def post(action: str, **data):  # noqa: ANN003, ANN202
            return client.post(
                f"/orders/{late_id}/{action}",
                data={"csrf_token": token, **data},
                follow_redirects=False,
            )

        assert post("note", text="请尽快处理").status_code == 303
        assert post("dispatch").status_code == 303
        assert post("progress", note="已到现场").status_code == 303
        wrong = post("close", satisfied="yes")
        assert wrong.status_code == 409 and "resolve it first" in wrong.text
        assert post("resolve", note="已补装井盖").status_code == 303
        assert post("close", satisfied="no", note="居民仍担心").status_code == 303
        page = client.get(f"/orders/{late_id}").text
        assert "已关闭" in page and "请尽快处理" in page and "不满意" in page
        client.post("/supervise", data={"csrf_token": token})
    with transaction(web.engine) as session:
        order = session.get(WorkOrder, late_id)
        assert (order.state, order.satisfied, order.dispatch_late) == ("closed", False, True)
        actors = set(
            session.scalars(select(AuditEvent.actor).where(AuditEvent.order_id == late_id))
        )
        assert actors == {"alice", "bob"}


def test_the_dashboard_shows_figures_health_and_the_trend(sqlite_web, monkeypatch) -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    monkeypatch.setenv("CLUES_PLATFORMS", str(root / "config" / "platforms.demo.yaml"))
    monkeypatch.setenv("DEMO_BASE_URL", "http://127.0.0.1:9")
    make_queue(sqlite_web.engine)
    with transaction(sqlite_web.engine) as session:
        ok = start_run(session, "city_forum")
        finish_run(session, ok.id, RunTotals(pages=2, items=40, new_items=40), [])
        bad = start_run(session, "gov_board")
        finish_run(session, bad.id, RunTotals(errors=3), [{"kind": "http", "message": "503"}])
    with sqlite_web.client() as client:
        login(client, "bob")
        page = client.get("/dashboard").text
        data = client.get("/api/v1/dashboard").json()
    assert 'class="silent-row" data-platform="gov_board"' in page
    assert (
        'data-platform="city_forum"' in page
        and 'class="silent-row" data-platform="city_forum"' not in page
    )
    assert "静默：最近一次运行失败" in page
    assert "gov_board" in data["silent"] and "city_forum" not in data["silent"]
    assert data["clues"]["pending"] == 4 and data["urgent_waiting"] == 1
    assert page.count("<svg") == 2 and "近 8 周各类别报料数" in page
    assert "城乡建设" in data["trend"]["categories"]
