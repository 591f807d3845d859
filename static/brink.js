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
