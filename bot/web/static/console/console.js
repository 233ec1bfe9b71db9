// Progressive enhancement only: every form works without this file.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// While a person is answering, the transcript updates in place: new entries arrive from the
// server's event stream (which does not keep the session alive), newest at the bottom just above
// the reply box, and the patient's presence (typing, left) shows beside it.
document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("live");
  const list = document.querySelector("ol.transcript");
  const presence = document.getElementById("presence");
  const reply = document.getElementById("reply");
  if (!live || !list) {
    return;
  }
  if (reply) {
    reply.scrollIntoView({ block: "end" });
  }
  const url = `${live.dataset.liveUrl}?after=${encodeURIComponent(live.dataset.items)}`;
  const stream = new EventSource(url, { withCredentials: true });
  stream.addEventListener("items", (event) => {
    // Follow the conversation only if the agent is at its end (not reading further up).
    const box = reply ? reply.getBoundingClientRect() : null;
    const following = box !== null && box.top < window.innerHeight && box.bottom > 0;
    const template = document.createElement("template");
    template.innerHTML = JSON.parse(event.data).html; // rendered and escaped by the server
    list.append(template.content);
    if (following) {
      reply.scrollIntoView({ block: "end" });
    }
  });
  stream.addEventListener("presence", (event) => {
    if (presence) {
      presence.textContent = JSON.parse(event.data).text;
    }
  });
  stream.addEventListener("paused", () => {
    // Someone else paused or resumed the bot: the page's forms no longer fit.
    window.location.reload();
  });
  stream.addEventListener("gone", () => {
    stream.close();
    window.location.reload();
  });
  stream.addEventListener("error", () => {
    // The browser reconnects by itself; a closed stream means the session ended (401).
    if (stream.readyState === EventSource.CLOSED && presence) {
      presence.textContent = "Live updates stopped: reload the page (you may need to sign in).";
    }
  });
});
