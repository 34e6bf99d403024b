// Documents that take a few seconds to make (the plan PDF): say so while they are made.
// A link with data-progress="…" is fetched here instead of by the browser: its status line
// shows the message (and the seconds elapsed), then the file is handed to the browser as a
// download. Without JavaScript the link works as a plain download.
"use strict";

(function () {
  function filename(response, href) {
    const header = response.headers.get("content-disposition") || "";
    const match = /filename="([^"]+)"/.exec(header);
    return match ? match[1] : href.split("/").pop();
  }

  function hand_over(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  async function download(link, status) {
    const started = Date.now();
    const message = link.dataset.progress;
    status.textContent = message;
    link.setAttribute("aria-disabled", "true");
    link.classList.add("busy");
    const timer = setInterval(function () {
      const seconds = Math.round((Date.now() - started) / 1000);
      status.textContent = message + " (" + seconds + " s)";
    }, 1000);
    try {
      const response = await fetch(link.href, { credentials: "same-origin" });
      if (!response.ok) {
        const text = (await response.text()).replace(/<[^>]*>/g, " ").replace(/\s+/g, " ");
        throw new Error(text.trim().slice(0, 200) || response.statusText);
      }
      const name = filename(response, link.href);
      hand_over(await response.blob(), name);
      status.textContent = "Ready: " + name + " (" + ((Date.now() - started) / 1000).toFixed(1) + " s).";
    } catch (error) {
      status.textContent = "The document could not be made: " + error.message + " Try again.";
    } finally {
      clearInterval(timer);
      link.removeAttribute("aria-disabled");
      link.classList.remove("busy");
    }
  }

  document.querySelectorAll("a[data-progress]").forEach(function (link) {
    const status = document.getElementById(link.dataset.status);
    if (!status) return;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      if (link.getAttribute("aria-disabled") === "true") return;
      download(link, status);
    });
  });
})();
