// The ModelFleet console's only script of its own (no inline script: the pages' CSP forbids it).
// Actions go to the admin API with the session cookie and the session's CSRF token, so the server
// checks and audits them exactly as it does the CLI's.
(function () {
  "use strict";

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function flash(text, ok) {
    var box = document.getElementById("flash");
    if (!box) return;
    box.textContent = text;
    box.className = ok ? "ok" : "error";
    box.hidden = false;
  }

  async function problemText(response) {
    try {
      var body = await response.json();
      return body.detail || body.title || response.statusText;
    } catch (e) {
      return response.status + " " + response.statusText;
    }
  }

  async function api(url, body) {
    var response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: body === undefined ? "" : JSON.stringify(body)
    });
    if (response.status === 401) {
      window.location.assign("/console/login");
      throw new Error("signed out");
    }
    if (!response.ok) {
      throw new Error(await problemText(response));
    }
    var text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  // <button data-post="/api/v1/..." [data-confirm] [data-reason] [data-then="reload"] [data-done]>
  document.addEventListener("click", async function (event) {
    var button = event.target.closest("button[data-post]");
    if (!button) return;
    event.preventDefault();
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    var body;
    if (button.dataset.reason) {
      var reason = window.prompt(button.dataset.reason, "");
      if (reason === null) return;
      body = reason ? { reason: reason } : undefined;
    }
    button.disabled = true;
    try {
      await api(button.dataset.post, body);
      flash(button.dataset.done || button.textContent.trim() + ": done.", true);
      if (button.dataset.then === "reload") {
        window.location.reload();
      } else {
        document.body.dispatchEvent(new CustomEvent("mf:changed"));
      }
    } catch (e) {
      flash(e.message, false);
    } finally {
      button.disabled = false;
    }
  });

  function number(form, name) {
    var field = form.elements[name];
    return field && field.value !== "" ? Number(field.value) : undefined;
  }

  // The create form: the same JSON the CLI sends to POST /api/v1/rollouts.
  document.addEventListener("submit", async function (event) {
    var form = event.target.closest("form[data-create-rollout]");
    if (!form) return;
    event.preventDefault();
    var f = form.elements;
    var waves = f.waves.value.split(",").map(function (p) { return p.replace("%", "").trim(); })
      .filter(function (p) { return p !== ""; })
      .map(function (p) { return { percent: Number(p) }; });
    var body = {
      model: f.model.value,
      version: f.version.value.trim(),
      selector: f.selector.value.trim(),
      onBreach: f.onBreach.value,
      start: f.start.checked
    };
    if (f.name.value.trim()) body.name = f.name.value.trim();
    if (waves.length) body.waves = waves;
    var soak = number(form, "soakSeconds");
    if (soak !== undefined) body.defaults = { soakSeconds: soak };
    try {
      var created = await api("/api/v1/rollouts", body);
      window.location.assign("/console/rollouts/" + created.id);
    } catch (e) {
      flash(e.message, false);
    }
  });

  // Times are rendered as ISO instants on the server; show them in the viewer's own zone.
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      if (!t.getAttribute("datetime")) return;
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) return;
      if (t.classList.contains("local")) {
        t.textContent = d.toLocaleString();
      } else {
        t.title = d.toLocaleString();
      }
    });
  }

  // Latency (p50, p95) and error rate over time, one pair of plots per model version.
  async function healthPlots(root) {
    var box = root.querySelector("[data-health]");
    if (!box || box.dataset.drawn || typeof uPlot === "undefined") return;
    box.dataset.drawn = "1";
    var response = await fetch(box.dataset.health, { credentials: "same-origin" });
    if (!response.ok) return;
    var series = await response.json();
    var width = Math.min(box.clientWidth || 900, 1100);
    series.forEach(function (s) {
      var title = document.createElement("h3");
      title.textContent = s.model + " " + s.version;
      box.appendChild(title);
      var latency = document.createElement("div");
      latency.className = "plot latency-plot";
      box.appendChild(latency);
      new uPlot({
        width: width, height: 220, title: "Latency (ms)",
        series: [{}, { label: "p50", stroke: "#2f6fdf", width: 2, points: { show: true } },
                 { label: "p95", stroke: "#d9822b", width: 2, points: { show: true } }],
        axes: [{}, { label: "ms" }]
      }, [s.at, s.p50Ms, s.p95Ms], latency);
      var errors = document.createElement("div");
      errors.className = "plot error-plot";
      box.appendChild(errors);
      new uPlot({
        width: width, height: 160, title: "Error rate (% of requests)",
        series: [{}, { label: "errors %", stroke: "#c23030", width: 2, points: { show: true } }],
        axes: [{}, { label: "%" }]
      }, [s.at, s.errorPercent], errors);
    });
    box.dataset.series = String(series.length);
  }

  function ready(root) {
    localTimes(root);
    healthPlots(root);
  }

  document.addEventListener("DOMContentLoaded", function () { ready(document); });
  document.addEventListener("htmx:afterSettle", function (e) { localTimes(e.target); });
  document.addEventListener("htmx:responseError", function (e) {
    flash(e.detail.xhr.responseText || "The server refused the request.", false);
  });
})();
