// Progressive enhancement only: every form works without this file.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// While a person is answering, tell them when the patient wrote something new. The poll sends
// counts only and does not keep the session alive (the idle timeout still applies).
document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("live");
  const news = document.getElementById("live-news");
  if (!live || !news) {
    return;
  }
  const known = Number(live.dataset.items);
  const timer = window.setInterval(async () => {
    try {
      const response = await fetch(live.dataset.stateUrl, { credentials: "same-origin" });
      if (!response.ok) {
        window.clearInterval(timer);
        return;
      }
      const state = await response.json();
      if (state.items !== known) {
        news.hidden = false;
      }
    } catch (error) {
      // Offline for a moment: try again at the next tick.
    }
  }, 4000);
});
