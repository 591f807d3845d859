// Brink's few enhancements on top of htmx. Everything here is optional: without JavaScript the
// timeline is a GET form and plain links.
document.documentElement.classList.add("js");

// A link with ?around=<id> opens the page holding that event: bring it into view.
function showAroundEvent() {
  const event = document.querySelector(".is-around");
  if (event && !location.hash) {
    event.scrollIntoView({ block: "center" });
    event.focus({ preventScroll: true });
  }
}
document.addEventListener("DOMContentLoaded", showAroundEvent);

document.addEventListener("htmx:afterSettle", (event) => {
  // Keep the reader's place: htmx puts focus back on a control it swapped (same id); when the
  // control that was used is gone (a removed chip, "Load more"), move to what replaced it.
  if (document.activeElement && document.activeElement !== document.body) return;
  const config = event.detail.requestConfig || {};
  const source = config.elt;
  const used = config.triggeringEvent && config.triggeringEvent.target;
  const added = used && used.id && used.id.startsWith("s-actor-")
    ? document.getElementById("f-actor-" + used.id.slice("s-actor-".length))
    : null;
  if (added) {
    added.focus();  // an actor ticked among the suggestions is now ticked in the panel
  } else if (source && source.classList && source.classList.contains("load-more")) {
    const starts = document.querySelectorAll(".page-start");
    if (starts.length) starts[starts.length - 1].focus();
  } else if (event.detail.target && event.detail.target.id === "results") {
    const heading = document.getElementById("view-heading");
    if (heading) heading.focus({ preventScroll: true });
  }
});

// htmx saves each view for Back as HTML, and HTML does not hold what was typed into the search
// box (the box is not swapped while the reader types in it). Write the saved view's own search into
// the box's value attribute first, or Back shows "Events matching “putin”" over an empty box and
// the next filter change drops the search.
document.addEventListener("htmx:beforeHistorySave", (event) => {
  const search = document.getElementById("q");
  if (!search || !event.detail.path) return;
  const saved = new URL(event.detail.path, location.href).searchParams.get("q") || "";
  search.setAttribute("value", saved);
});

// "Copy link" buttons: shown only where the clipboard can be written; the permalink field next to
// them works everywhere (select and copy).
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const status = button.parentElement.querySelector(".copy-status");
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        if (status) status.textContent = "Link copied.";
      } catch {
        if (status) status.textContent = "Could not copy; select the link below instead.";
      }
    });
  }
});
// A click in a read-only field selects all of it, ready to copy.
document.addEventListener("focusin", (event) => {
  if (event.target.classList && event.target.classList.contains("copyable")) event.target.select();
});

// Live updates (templates/_live.html): the stream sends an edited event's new card; it replaces
// the card of that event if the page shows it, and is dropped otherwise.
document.addEventListener("htmx:sseBeforeMessage", (message) => {
  if (message.detail.type !== "updated") return;
  message.preventDefault();
  const card = document.createRange().createContextualFragment(message.detail.data).firstElementChild;
  const shown = card && card.id && document.getElementById(card.id);
  if (!shown) return;
  const hadFocus = shown.contains(document.activeElement);
  shown.replaceWith(card);
  if (hadFocus) card.querySelector(".event-title a").focus();  // keep a keyboard reader's place
});

// "What changed since your last visit": this browser remembers when its reader last looked (in
// localStorage: no account, no cookie). A visit ends after 30 minutes without a page.
document.addEventListener("DOMContentLoaded", () => {
  const now = new Date();
  let visit = null;
  try {
    visit = JSON.parse(localStorage.getItem("brink-visit"));
  } catch {
    visit = null;
  }
  if (!visit || !(now - new Date(visit.seen) < 30 * 60 * 1000)) {
    visit = { previous: visit && visit.seen ? visit.seen : null };
  }
  visit.seen = now.toISOString();
  try {
    localStorage.setItem("brink-visit", JSON.stringify(visit));
  } catch {
    return;  // storage refused (private mode): nothing to offer
  }
  const offer = document.querySelector(".last-visit");
  const previous = visit.previous && new Date(visit.previous);
  if (!offer || !previous || isNaN(previous)) return;
  const when = new Intl.DateTimeFormat("en-GB", {
    timeZone: offer.dataset.zone, day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  }).format(previous);
  const link = offer.querySelector("a");
  link.href = "/changes?since=" + encodeURIComponent(previous.toISOString().slice(0, 19) + "Z");
  link.textContent = `What changed since your last visit (${when})`;
  offer.hidden = false;
});

// Overview strip (templates/_overview.html): every bin is a link to its dates. Here: the chart is
// one tab stop (arrow keys move between bins, Home/End, Shift+arrows choose several, Enter shows
// them), and dragging across bins, with a mouse, pen or finger, chooses several. The choice
// becomes the view's from/to as a link would: #results swapped by htmx, the URL pushed (the
// server sends HX-Push-Url); without htmx, the page is loaded.
(() => {
  const charts = new WeakMap();

  function chartOf(element) {
    const svg = element.closest && element.closest("svg.ov-chart");
    if (!svg) return null;
    if (!charts.has(svg)) charts.set(svg, { anchor: null, drag: null, moved: false, dragged: false, svg });
    return charts.get(svg);
  }

  const binsOf = (svg) => Array.from(svg.querySelectorAll("a.ov-bin"));
  const hrefOf = (bin) => bin.getAttribute("href");

  // A link to the days from bin a to bin b (either order): a's link, with b's last day as `to`;
  // a bin's link keeps every other parameter of the view in its canonical order.
  function spanLink(a, b) {
    const bins = binsOf(a.closest("svg"));
    const [first, last] = bins.indexOf(a) <= bins.indexOf(b) ? [a, b] : [b, a];
    const url = new URL(hrefOf(first), location.href);
    url.searchParams.set("to", last.dataset.to);
    return { url: url.pathname + url.search, first, last };
  }

  function show(link, from, to) {
    for (const [id, value] of [["f-from", from], ["f-to", to]]) {
      const input = document.getElementById(id);
      if (input) input.value = value;
    }
    if (window.htmx && document.getElementById("results")) {
      htmx.ajax("GET", link, { target: "#results", swap: "innerHTML", indicator: "#results" });
    } else {
      location.assign(link);
    }
  }

  function select(chart, a, b) {
    const bins = binsOf(chart.svg);
    const [i, j] = [bins.indexOf(a), bins.indexOf(b)].sort((x, y) => x - y);
    let count = 0;
    bins.forEach((bin, k) => {
      const inside = a && b && k >= i && k <= j;
      bin.classList.toggle("is-selected", inside);
      if (inside) count += Number(bin.dataset.count);
    });
    const status = chart.svg.closest(".overview").querySelector(".ov-status");
    if (!a || !b || !status) return;
    const [first, last] = [bins[i], bins[j]];
    const when = first === last ? first.dataset.label : `${first.dataset.label} to ${last.dataset.label}`;
    status.textContent = `${when}: ${count.toLocaleString("en-GB")} ${count === 1 ? "event" : "events"}. Enter shows them.`;
  }

  function brush(chart, a, b) {
    let rect = chart.svg.querySelector(".ov-brush");
    if (!rect) {
      rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
      rect.setAttribute("class", "ov-brush");
      rect.setAttribute("y", "0");
      chart.svg.appendChild(rect);
    }
    const boxes = [a, b].map((bin) => bin.querySelector(".ov-hit"));
    const left = Math.min(...boxes.map((box) => Number(box.getAttribute("x"))));
    const right = Math.max(...boxes.map((box) => Number(box.getAttribute("x")) + Number(box.getAttribute("width"))));
    rect.setAttribute("x", left);
    rect.setAttribute("width", right - left);
    rect.setAttribute("height", boxes[0].getAttribute("height"));
  }

  function binAt(chart, clientX) {
    const box = chart.svg.getBoundingClientRect();
    const x = ((clientX - box.left) / box.width) * 1000;
    const bins = binsOf(chart.svg);
    for (const bin of bins) {
      const hit = bin.querySelector(".ov-hit");
      const left = Number(hit.getAttribute("x"));
      if (x >= left && x < left + Number(hit.getAttribute("width"))) return bin;
    }
    return x < 0 ? bins[0] : bins[bins.length - 1];
  }

  function moveFocus(from, to) {
    from.setAttribute("tabindex", "-1");
    to.setAttribute("tabindex", "0");
    to.focus();
  }

  // A press on a bin starts a drag; it becomes one (the pointer captured, the page no longer
  // scrolled sideways) only when it reaches another bin. Otherwise the click that follows shows
  // the bin pressed.
  document.addEventListener("pointerdown", (event) => {
    const bin = event.target.closest && event.target.closest("a.ov-bin");
    const chart = bin && chartOf(bin);
    if (!chart || event.button !== 0) return;
    chart.drag = { start: bin, end: bin, pointer: event.pointerId };
    chart.moved = false;
    chart.dragged = false;
  });

  document.addEventListener("pointermove", (event) => {
    const chart = chartOf(event.target);
    if (!chart || !chart.drag || chart.drag.pointer !== event.pointerId) return;
    const bin = binAt(chart, event.clientX);
    if (bin !== chart.drag.end) chart.drag.end = bin;
    if (!chart.moved && bin !== chart.drag.start) {
      chart.moved = true;
      chart.svg.setPointerCapture(event.pointerId);
    }
    if (chart.moved) {
      event.preventDefault();
      brush(chart, chart.drag.start, chart.drag.end);
      select(chart, chart.drag.start, chart.drag.end);
    }
  });

  function endDrag(event, cancelled) {
    const chart = chartOf(event.target);
    if (!chart || !chart.drag || chart.drag.pointer !== event.pointerId) return;
    const { start, end } = chart.drag;
    chart.drag = null;
    if (!chart.moved) return;  // a plain click: the click event shows the bin
    chart.moved = false;
    if (cancelled) {
      const brushed = chart.svg.querySelector(".ov-brush");
      if (brushed) brushed.remove();
      select(chart, null, null);
      return;
    }
    chart.dragged = true;  // the click that may follow the drag is no choice of its own
    const span = spanLink(start, end);
    show(span.url, span.first.dataset.from, span.last.dataset.to);
  }
  document.addEventListener("pointerup", (event) => endDrag(event, false));
  document.addEventListener("pointercancel", (event) => endDrag(event, true));

  document.addEventListener("click", (event) => {
    const chart = chartOf(event.target);
    if (!chart) return;
    if (chart.dragged) {
      chart.dragged = false;
      event.preventDefault();
      return;
    }
    const bin = event.target.closest("a.ov-bin");
    if (!bin || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    // Enter on a bin (a click without a pointer): the span chosen with Shift+arrows, if any.
    const anchor = event.detail === 0 ? chart.anchor : null;
    const span = spanLink(anchor || bin, bin);
    show(span.url, span.first.dataset.from, span.last.dataset.to);
  });

  document.addEventListener("keydown", (event) => {
    const bin = event.target.closest && event.target.closest("a.ov-bin");
    const chart = bin && chartOf(bin);
    if (!chart) return;
    const bins = binsOf(chart.svg);
    const here = bins.indexOf(bin);
    const steps = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    let next = null;
    if (event.key in steps) next = bins[Math.min(Math.max(here + steps[event.key], 0), bins.length - 1)];
    else if (event.key === "Home") next = bins[0];
    else if (event.key === "End") next = bins[bins.length - 1];
    else if (event.key === "Escape" && chart.anchor) {
      chart.anchor = null;
      select(chart, null, null);
      event.preventDefault();
      return;
    }
    if (!next) return;
    event.preventDefault();
    if (event.shiftKey) {
      chart.anchor = chart.anchor || bin;
      select(chart, chart.anchor, next);
    } else if (chart.anchor) {
      chart.anchor = null;
      select(chart, null, null);
    }
    moveFocus(bin, next);
  });
})();

// ---- lanes (templates/_lanes.html): one tab stop per lane (roving tabindex); ← → move in time
// within a lane, ↑ ↓ to the nearest mark of the neighbouring lane, Home/End, Enter opens (a link).
// The caption line above the chart shows the title of the mark pointed at or focused.
(() => {
  const itemsOf = (lane) => Array.from(lane.querySelectorAll(":scope > a"));
  const xOf = (item) => {
    const box = item.getBBox();
    return box.x + box.width / 2;
  };
  const caption = (item) => {
    const line = document.getElementById("lanes-caption");
    const title = item && item.querySelector("title");
    if (line && title) line.textContent = title.textContent;
  };
  const moveTo = (from, to) => {
    // Each lane keeps one tab stop: the mark last visited in it.
    const chart = from.closest(".lanes-chart");
    const lane = to.closest(".lane");
    for (const item of lane.querySelectorAll(":scope > a[tabindex='0']")) item.setAttribute("tabindex", "-1");
    to.setAttribute("tabindex", "0");
    to.focus();
    // Keep it in view sideways, clear of the sticky labels.
    const scroller = chart.closest(".lanes-scroll");
    const labels = scroller.querySelector(".lanes-labels");
    const box = to.getBoundingClientRect();
    const view = scroller.getBoundingClientRect();
    const left = view.left + labels.offsetWidth;
    if (box.left < left + 8) scroller.scrollLeft -= left + 8 - box.left + view.width / 3;
    else if (box.right > view.right - 8) scroller.scrollLeft += box.right - view.right + 8 + view.width / 3;
  };
  document.addEventListener("keydown", (event) => {
    const item = event.target.closest && event.target.closest(".lanes-chart .lane > a");
    if (!item || event.altKey || event.ctrlKey || event.metaKey) return;
    const lane = item.closest(".lane");
    const items = itemsOf(lane);
    const index = items.indexOf(item);
    let next = null;
    if (event.key === "ArrowRight") next = items[index + 1];
    else if (event.key === "ArrowLeft") next = items[index - 1];
    else if (event.key === "Home") next = items[0];
    else if (event.key === "End") next = items[items.length - 1];
    else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const lanes = Array.from(lane.parentNode.querySelectorAll(":scope > .lane"));
      const step = event.key === "ArrowDown" ? 1 : -1;
      const x = xOf(item);
      for (let i = lanes.indexOf(lane) + step; i >= 0 && i < lanes.length && !next; i += step) {
        let best = null;
        for (const candidate of itemsOf(lanes[i])) {
          const distance = Math.abs(xOf(candidate) - x);
          if (!best || distance < best.distance) best = { candidate, distance };
        }
        if (best) next = best.candidate;
      }
    } else if (event.key === " ") {
      item.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true }));
      event.preventDefault();
      return;
    }
    if (!next) return;
    event.preventDefault();
    moveTo(item, next);
  });
  document.addEventListener("focusin", (event) => {
    const item = event.target.closest && event.target.closest(".lanes-chart .lane > a");
    if (item) caption(item);
  });
  document.addEventListener("mouseover", (event) => {
    const item = event.target.closest && event.target.closest(".lanes-chart .lane > a");
    if (item) caption(item);
  });
})();
