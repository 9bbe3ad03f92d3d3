// clue-pipeline web UI: the project's own script, loaded from /static (the
// Content-Security-Policy allows no inline script). It only keeps the SLA
// countdowns current; every page works without it.
(function () {
  "use strict";

  function span(minutes) {
    minutes = Math.abs(minutes);
    if (minutes < 60) return Math.round(minutes) + " 分钟";
    if (minutes < 48 * 60) {
      var hours = Math.floor(minutes / 60), rest = Math.floor(minutes % 60);
      return hours + " 小时" + (rest ? " " + rest + " 分" : "");
    }
    return (minutes / 1440).toFixed(1) + " 天";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var left = (due - now) / 60000;
      el.textContent = (left >= 0 ? "剩余 " : "超时 ") + span(left);
      el.classList.toggle("overdue", left < 0);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 30000);
  });
})();
