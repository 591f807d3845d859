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
  const source = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (source && source.classList && source.classList.contains("load-more")) {
    const starts = document.querySelectorAll(".page-start");
    if (starts.length) starts[starts.length - 1].focus();
  } else if (event.detail.target && event.detail.target.id === "results") {
    const heading = document.getElementById("view-heading");
    if (heading) heading.focus({ preventScroll: true });
  }
});
