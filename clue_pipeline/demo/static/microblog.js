/* 云江微博: renders the feed from /api/microblog/page?n=N and loads the next
   page when the reader scrolls near the bottom (an endless list). Post text is
   untrusted: it is only ever set with textContent, never as HTML. */
(function () {
  "use strict";
  var feed = document.getElementById("feed");
  var status = document.getElementById("status");
  var next = 1;
  var loading = false;
  var done = false;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function count(label, value) {
    return value > 0 ? label + " " + value : label;
  }

  function card(c) {
    var node = el("div", "card");
    node.setAttribute("data-mid", c.mid);
    var head = el("div", "head");
    head.appendChild(el("span", "author", c.user));
    head.appendChild(el("span", "time", c.created_at));
    if (c.location) head.appendChild(el("span", "loc", c.location));
    node.appendChild(head);
    node.appendChild(el("div", "text", c.text));
    if (c.pics && c.pics.length) {
      var pics = el("div", "pics");
      c.pics.forEach(function (src) {
        var img = el("img");
        img.setAttribute("src", src);
        img.setAttribute("alt", "");
        pics.appendChild(img);
      });
      node.appendChild(pics);
    }
    var actions = el("div", "actions");
    actions.appendChild(el("span", "reposts", count("转发", c.reposts)));
    actions.appendChild(el("span", "comments", count("评论", c.comments)));
    actions.appendChild(el("span", "likes", count("赞", c.likes)));
    node.appendChild(actions);
    var link = el("a", "permalink", "查看原文");
    link.setAttribute("href", c.url);
    node.appendChild(link);
    return node;
  }

  function nearBottom() {
    var scrolled = window.innerHeight + window.pageYOffset;
    return scrolled >= document.documentElement.scrollHeight - 300;
  }

  function load() {
    if (loading || done) return;
    loading = true;
    status.textContent = "加载中…";
    fetch("/api/microblog/page?n=" + next)
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        data.cards.forEach(function (c) { feed.appendChild(card(c)); });
        next += 1;
        done = !data.has_more;
        loading = false;
        status.textContent = done ? "没有更多了" : "";
        if (done) document.body.setAttribute("data-complete", "true");
        else if (nearBottom()) load();
      })
      .catch(function () {
        loading = false;
        status.textContent = "加载失败，下拉重试";
      });
  }

  window.addEventListener("scroll", function () { if (nearBottom()) load(); }, { passive: true });
  load();
})();
