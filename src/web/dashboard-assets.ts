/**
 * The dashboards' only stylesheet and script, served from /assets/ (the
 * Content-Security-Policy allows no inline code). The script is progressive:
 * pages work without it; with it, tiles and cell logs update over SSE.
 */
export const DASHBOARD_CSS = `
:root{--ok:#2da44e;--bad:#cf222e;--warn:#9a6700;--run:#0969da;--idle:#8c959f;--fg:#1f2328;--muted:#656d76;--line:#d0d7de}
*{box-sizing:border-box}body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--fg);background:#f6f8fa}
header{display:flex;justify-content:space-between;align-items:center;padding:.6em 1.5em;background:#24292f;color:#fff}
header a{color:#fff;text-decoration:none}.brand{font-weight:600;font-size:1.1em}.who{margin-right:.5em}
main{max-width:72em;margin:1.5em auto;padding:0 1.5em}h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.1em;margin-top:1.5em}
a{color:#0969da}code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}.muted{color:var(--muted)}.error{color:var(--bad)}
table{border-collapse:collapse;background:#fff;width:100%;border:1px solid var(--line)}th,td{padding:.45em .7em;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}.filters{display:flex;gap:1em;align-items:end;margin:1em 0}.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}
input,select,button{font:inherit;padding:.3em .6em;border:1px solid var(--line);border-radius:6px;background:#fff}button{cursor:pointer;background:#f6f8fa}button.danger{color:var(--bad)}
.tiles{display:inline-flex;gap:3px;flex-wrap:wrap}.tile{display:inline-block;width:14px;height:14px;border-radius:3px;background:var(--idle)}
.tiles .tile.retried{box-shadow:inset 0 0 0 3px rgba(255,255,255,.55)}
.t-success{background:var(--ok)}.t-failure{background:var(--bad)}.t-error,.t-timed_out{background:var(--warn)}.t-running{background:var(--run)}.t-queued,.t-cancelled,.t-new{background:var(--idle)}
.t-running{animation:pulse 1.2s ease-in-out infinite}@keyframes pulse{50%{opacity:.55}}
.badge{display:inline-block;color:#fff;border-radius:1em;padding:0 .7em;font-size:.6em;vertical-align:middle}
.matrix td{padding:.3em}.cell{display:flex;flex-direction:column;width:auto;height:auto;min-width:9em;padding:.5em .7em;color:#fff;text-decoration:none;border-radius:6px}.cell span,.cell small{font-size:12px;opacity:.9}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:1em 0}.facts dt{color:var(--muted)}.facts dd{margin:0}
.actions{display:flex;gap:.5em;margin:1em 0}.inline{display:inline}.crumbs{color:var(--muted);margin:0}
.failures{list-style:none;padding:0}.failure{background:#fff;border:1px solid var(--line);border-left:4px solid var(--bad);padding:.5em .8em;margin:.5em 0;border-radius:4px}
.outcome{color:var(--bad);font-weight:600}pre{background:#fff;border:1px solid var(--line);padding:.6em;overflow:auto;border-radius:4px}
pre.log{background:#0d1117;color:#e6edf3;max-height:40em;font:12px/1.45 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
.pages{margin:1em 0}.notice{background:#ddf4ff;padding:.5em 1em;border-radius:6px}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.login{max-width:22em;background:#fff;border:1px solid var(--line);padding:1.5em;border-radius:6px}.login label{display:block;margin:.6em 0}.login input{width:100%}
.glance .branches td{white-space:nowrap}.console{width:auto}.console th,.console td{padding:.25em .4em}.console thead th{vertical-align:bottom;font-weight:400;font-size:12px}
.console thead th span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}.console .tile{width:18px;height:18px;color:#fff;text-align:center;font-size:10px;line-height:18px;text-decoration:none}
.trends{display:flex;flex-wrap:wrap;gap:1em}.trends figure{margin:0;background:#fff;border:1px solid var(--line);padding:.5em;border-radius:6px}.trends svg{display:block;max-width:100%;height:auto}
.trends figcaption{font-size:12px;color:var(--muted)}.deliveries td{font-size:13px}.commit pre.message{margin:.3em 0 0;white-space:pre-wrap;font-size:12px}
.bucket{list-style:none;padding:0;margin:.3em 0}.bucket li{background:#fff;border:1px solid var(--line);border-left:4px solid var(--idle);padding:.35em .8em;margin:.3em 0;border-radius:4px}
.b-new li,.b-no-base li{border-left-color:var(--bad)}.b-already-failing li{border-left-color:var(--warn)}.b-flaky li{border-left-color:#8250df}.bucket .message{font:12px ui-monospace,monospace;color:var(--muted)}
.buckets h3{font-size:1em;margin:.8em 0 .2em}
`;

export const LIVE_JS = `"use strict";
(function () {
  var STATES = ["queued","running","success","failure","error","timed_out","cancelled","new"];
  function setTile(el, state) {
    if (STATES.indexOf(state) < 0) return;
    STATES.forEach(function (s) { el.classList.remove("t-" + s); });
    el.classList.add("t-" + state);
    var strong = el.querySelector("strong"); if (strong) strong.textContent = state;
    el.title = (el.title.split(":")[0] || "") + ": " + state;
  }
  var log = document.getElementById("log");
  if (log && log.dataset.stream) {
    var url = log.dataset.stream + "?after=" + encodeURIComponent(log.dataset.cursor || "");
    var source = new EventSource(url);
    source.addEventListener("reset", function () { log.textContent = ""; });
    source.addEventListener("lines", function (e) {
      var data = JSON.parse(e.data);
      var frag = document.createDocumentFragment();
      data.lines.forEach(function (line) { var span = document.createElement("span"); span.textContent = line; frag.appendChild(span); frag.appendChild(document.createTextNode("\\n")); });
      var atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.appendChild(frag);
      if (atEnd) log.scrollTop = log.scrollHeight;
    });
    source.addEventListener("counts", function (e) {
      var c = JSON.parse(e.data).counts;
      document.getElementById("counts").textContent = c.passed + " passed · " + c.failed + " failed · " + c.error + " errors · " + c.skipped + " skipped · " + c.total + " in all";
    });
    source.addEventListener("state", function (e) {
      var state = JSON.parse(e.data).state, badge = document.getElementById("cell-state");
      if (badge) { setTile(badge, state); badge.textContent = state; }
    });
    source.addEventListener("end", function (e) {
      source.close();
      var state = JSON.parse(e.data).state, badge = document.getElementById("cell-state");
      if (badge) { setTile(badge, state); badge.textContent = state; }
    });
  }
  var grid = document.querySelector("[data-live=tiles]");
  if (grid) {
    var build = document.querySelector("table.matrix") ? location.pathname.split("/")[2] : "";
    var tiles = new EventSource(build ? "/builds/" + build + "/events" : "/events");
    tiles.addEventListener("tile", function (e) {
      var data = JSON.parse(e.data);
      if (data.state === "new") { var note = document.getElementById("new-builds"); if (note && !document.querySelector("[data-build='" + data.buildId + "']")) note.hidden = false; return; }
      document.querySelectorAll("[data-job]").forEach(function (el) { if (el.dataset.job === data.jobId) setTile(el, data.state); });
      document.querySelectorAll("[data-job-state]").forEach(function (el) { if (el.dataset.jobState === data.jobId) el.textContent = el.dataset.name + ": " + data.state; });
    });
  }
})();
`;
