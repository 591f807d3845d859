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
