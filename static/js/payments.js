// The shared card page (templates/payments/pay.html). Stripe.js (or localstripe's stand-in)
// turns the Card Element into a token in the browser; only that token reaches our server,
// which saves it on the customer and confirms the PaymentIntent. 3-D Secure, when the bank
// asks for it, runs through stripe.confirmCardPayment. No inline script: settings come from
// data- attributes. What a customer reads about an error is never Stripe's English `message`:
// data-messages holds the page-language sentences portal/payments/declines.py chooses from,
// looked up by the error's decline_code, code, then type.
(function () {
  "use strict";
  const form = document.getElementById("card-form");
  if (!form || typeof window.Stripe !== "function") return;
  const errorBox = document.getElementById("card-error");
  const button = document.getElementById("pay-button");
  const label = button.textContent;
  const words = JSON.parse(form.dataset.messages || "{}");
  const sentences = words.sentences || [];
  const stripe = window.Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  const mountPoint = document.getElementById("card-element");
  card.mount(mountPoint);
  // Name the stand-in's bare inputs for screen readers (real Stripe Elements label its own iframe).
  mountPoint.querySelectorAll("input").forEach((input) => {
    if (!input.getAttribute("aria-label")) {
      input.setAttribute("aria-label", (mountPoint.dataset.label || "") + ": " + input.getAttribute("placeholder"));
    }
  });

  // fallback: "details" for a card Stripe.js refused to tokenise, "authentication" for the
  // bank's check, else "generic".
  function messageFor(error, fallback) {
    const codes = words.codes || {};
    const types = words.types || {};
    if (error instanceof Error) return sentences[words.offline]; // the network, not the card
    error = error || {};
    for (const key of [error.decline_code, error.code]) {
      if (key && Object.prototype.hasOwnProperty.call(codes, key)) return sentences[codes[key]];
    }
    if (error.type && Object.prototype.hasOwnProperty.call(types, error.type)) return sentences[types[error.type]];
    return sentences[words[fallback]] || sentences[words.generic] || "";
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }

  async function send(token) {
    const body = new FormData(form);
    body.set("token", token || "");
    const response = await fetch(form.action, {
      method: "POST",
      body,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    let answer = {};
    try { answer = await response.json(); } catch (e) { answer = {}; }
    return answer;
  }

  async function finish(answer) {
    if (answer.redirect) {
      window.location.assign(answer.redirect);
      return;
    }
    if (answer.action) {
      const result = await stripe.confirmCardPayment(answer.action);
      if (result && result.error) {
        showError(messageFor(result.error, "authentication"));
        return;
      }
      await finish(await send(""));
      return;
    }
    showError(answer.error || messageFor({}, "generic"));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    button.textContent = form.dataset.working;
    errorBox.hidden = true;
    try {
      const result = await stripe.createToken(card);
      if (!result || result.error || !result.token) {
        showError(messageFor(result && result.error, "details"));
        return;
      }
      await finish(await send(result.token.id));
    } catch (e) {
      showError(sentences[words.offline]);
    }
  });
})();
