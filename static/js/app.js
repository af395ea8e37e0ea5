// Gancang's own script: no inline handlers anywhere (the CSP forbids them).
// Forms whose submit button has data-confirm ask first; without JS the server-side
// confirmation page or the button's plain meaning applies.
// Once confirmed here, a hidden confirmed=1 tells the server not to ask again on its own page.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message = button && button.dataset.confirm;
  if (!message) return;
  if (!window.confirm(message)) {
    event.preventDefault();
  } else if (!event.target.querySelector("input[name=confirmed]")) {
    const confirmed = document.createElement("input");
    Object.assign(confirmed, { type: "hidden", name: "confirmed", value: "1" });
    event.target.append(confirmed);
  }
});
// A second click on a submitting form does nothing (double-clicked "place order" makes one order;
// the server guards it too).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return;
  if (form.dataset.submitting) { event.preventDefault(); return; }
  form.dataset.submitting = "1";
  setTimeout(() => { delete form.dataset.submitting; }, 8000);
});
// A polled section carries the version it shows (data-etag). An answer with that same version
// (the server said 304 and the browser handed over its cached copy) changes nothing: swapping
// it in would close what the user opened there and wipe what they were typing.
// (A compressed answer's ETag ends in its encoding, ":br", put there by Flask-Compress.)
document.addEventListener("htmx:beforeSwap", (event) => {
  const shown = event.detail.target.dataset.etag;
  const answer = (event.detail.xhr.getResponseHeader("ETag") || "").replace(/^W\//, "").replaceAll('"', "");
  if (shown && (answer === shown || answer.startsWith(shown + ":"))) event.detail.shouldSwap = false;
});
// After a refused form, focus goes to a summary of what to correct (each line links to its
// field), so keyboard and screen-reader users land on the problem, not at the top of the page.
function summariseErrors(root) {
  const invalid = [...root.querySelectorAll('[aria-invalid="true"]')];
  if (!invalid.length) return;
  const form = invalid[0].closest("form");
  if (!form || (form.previousElementSibling && form.previousElementSibling.classList.contains("error-summary"))) return;
  const summary = document.createElement("div");
  summary.className = "error-summary";
  summary.setAttribute("role", "alert");
  summary.tabIndex = -1;
  const heading = document.createElement("p");
  heading.textContent = document.documentElement.lang === "id" ? "Mohon periksa:" : "Please check:";
  const list = document.createElement("ul");
  for (const field of invalid) {
    // The field's name as its label says it (the error itself stays beside the field).
    const label = field.labels && field.labels[0];
    const text = label ? [...label.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join(" ").trim() : "";
    const link = document.createElement("a");
    link.href = "#" + field.id;
    link.textContent = text || field.name;
    link.addEventListener("click", (event) => { event.preventDefault(); field.focus(); });
    const item = document.createElement("li");
    item.append(link);
    list.append(item);
  }
  summary.append(heading, list);
  form.before(summary);
  summary.focus();
}
document.addEventListener("DOMContentLoaded", () => summariseErrors(document));
document.addEventListener("htmx:afterSettle", (event) => summariseErrors(event.target));
