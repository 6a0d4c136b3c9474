/*
 * The simulator dashboard. Everything it shows comes from the /_sim JSON API, polled every 2 s while
 * "live" is on; every action is one API call followed by an immediate refresh. All text is rendered
 * with text nodes (the h() helper below), never as HTML, so ids and URLs from partners cannot inject markup.
 * With --admin-token, the browser sends the token as the password of HTTP Basic auth (it asked for it when
 * it loaded this page), on every API call too; a 401 says so. A partner signs in the same way with its
 * client-id as the user name and its pass-key as the password: the API then shows only its own data, and
 * the clock controls (shared by every partner) are hidden. The header shows who is signed in (/_sim/whoami).
 */
"use strict";

(function () {
  const REFRESH_MS = 2000;
  const OUTCOMES = [
    "PASS",
    "NOT_LIVE",
    "INVALID_DOCUMENT",
    "DOCUMENT_NOT_FOUND",
    "FACE_MATCH_FAILED",
    "REFERENCE_IMAGE_VALIDATION_FAILED",
    "ERROR",
  ];

  const state = {
    tab: "sessions",
    selected: null,
    rendered: { sessions: "", detail: "", scenarios: "", requests: "" },
    expanded: new Set(),
    forceChoice: new Map(),
    tokenDraft: "",
    timer: null,
    clock: null,
  };

  const $ = (id) => document.getElementById(id);

  // -- DOM --------------------------------------------------------------------------------------

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "dataset") Object.assign(el.dataset, value);
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  function pill(text, tone) {
    return h("span", { class: `pill ${tone || ""}` }, text);
  }

  function notice(message, tone) {
    const box = $("notice");
    box.textContent = message || "";
    box.className = `notice ${tone || ""}`;
    box.hidden = !message;
  }

  // -- time ---------------------------------------------------------------------------------------

  function toDate(value) {
    if (value === null || value === undefined || value === "") return null;
    const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
    return Number.isNaN(date.getTime()) ? null : date;
  }

  // Every time on the page reads as the clock does: ISO 8601, UTC, milliseconds (2026-05-01T10:00:02.125Z),
  // the form of the API, the journal and the simulator's log lines.
  function clockText(value) {
    const date = toDate(value);
    return date ? date.toISOString() : "–";
  }

  function shortId(value) {
    const text = String(value || "");
    return text.length > 12 ? `${text.slice(0, 8)}…` : text;
  }

  function middleEllipsis(text, max) {
    const value = String(text || "");
    return value.length > max ? `${value.slice(0, max - 17)}…${value.slice(-16)}` : value;
  }

  // -- API ----------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      const item = body && Array.isArray(body.errors) ? body.errors[0] : null;
      super(item ? `${status} ${item.code}: ${item.cause}` : `HTTP ${status}`);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { accept: "application/json" };
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      throw new Error("The simulator does not answer. Is it still running?");
    }
    const json = await response.json().catch(() => null);
    if (response.status === 401) {
      throw new Error(
        "The credentials were refused: reload the page and sign in with the admin token as the password, " +
          "or with your client-id as the user name and your pass-key as the password."
      );
    }
    if (!response.ok) throw new ApiError(response.status, json);
    return json;
  }

  function listOf(body, ...keys) {
    if (Array.isArray(body)) return body;
    for (const key of keys) if (body && Array.isArray(body[key])) return body[key];
    if (body && body.data) return listOf(body.data, ...keys);
    return [];
  }

  async function act(label, method, path, body) {
    try {
      const reply = await api(method, path, body);
      notice(`${label}: done.`);
      await refresh();
      return reply;
    } catch (error) {
      notice(`${label} failed: ${error.message}`, "bad");
      return null;
    }
  }

  // -- clock and health -----------------------------------------------------------------------------

  function renderClock(clock) {
    state.clock = clock;
    $("clock-now").textContent = clockText(clock.epoch ?? clock.now);
    $("clock-now").setAttribute("datetime", clock.now);
    $("clock-state").textContent = clock.frozen ? "frozen" : "running";
    $("clock-state").className = `pill ${clock.frozen ? "warn" : "ok"}`;
    $("clock-toggle").textContent = clock.frozen ? "Resume" : "Freeze";
  }

  async function refreshClock() {
    renderClock(await api("GET", "/_sim/clock"));
    const health = await api("GET", "/_sim/health");
    const failed = Number(health.failedJobs) || 0;
    const failedText = failed ? ` · ${failed} failed job${failed === 1 ? "" : "s"}` : "";
    $("health").textContent = `${health.status} · ${health.pendingJobs} pending job${health.pendingJobs === 1 ? "" : "s"}${failedText}`;
    $("health").title = failed ? "GET /_sim/health · failed jobs spent their retry budget: GET /_sim/jobs?state=failed" : "GET /_sim/health";
    $("health").className = `pill ${health.status !== "ok" ? "bad" : failed ? "warn" : "ok"}`;
  }

  async function advance(seconds) {
    const reply = await act(`Advance ${seconds} s`, "POST", "/_sim/clock/advance", { seconds });
    if (reply) notice(`Clock advanced ${seconds} s; ${reply.jobsRun || 0} due job(s) ran.`);
  }

  // -- sessions list ------------------------------------------------------------------------------

  function latestOf(session) {
    return session.latestSubmission || session.latest || null;
  }

  function statusTone(status, result) {
    if (status === "COMPLETED") return result === "VALID" ? "ok" : "bad";
    if (status === "ERROR") return "bad";
    if (status === "IN_PROGRESS") return "";
    return "plain";
  }

  function statusCell(sub) {
    if (!sub) return pill("no submission", "plain");
    const verdict = [sub.result, sub.reasonCode].filter(Boolean).join(" · ");
    return [pill(sub.status, statusTone(sub.status, sub.result)), verdict ? h("div", { class: "small muted" }, verdict) : null];
  }

  function renderSessions(sessions) {
    const key = JSON.stringify(sessions) + state.selected;
    if (key === state.rendered.sessions) return;
    state.rendered.sessions = key;
    const body = $("sessions-body");
    body.replaceChildren(
      ...sessions.map((session) => {
        const sub = latestOf(session);
        return h(
          "tr",
          {
            class: session.key === state.selected ? "selected" : "",
            tabindex: "0",
            dataset: { key: session.key, partnerSessionId: session.partnerSessionId },
            onclick: () => select(session.key),
            onkeydown: (event) => event.key === "Enter" && select(session.key),
          },
          h("td", { class: "mono small nowrap created" }, clockText(session.createdAt)),
          h("td", {}, h("strong", {}, session.partnerSessionId), h("div", { class: "small muted", title: `client-id ${session.clientId || ""}` }, `${session.source || ""} · ${shortId(session.clientId)}`)),
          h("td", {}, session.userId || ""),
          h("td", {}, session.scenario || ""),
          h("td", { class: "latest" }, statusCell(sub), sub ? h("div", { class: "small muted" }, `attempt ${sub.attempt}`) : null),
          h("td", {}, sub && sub.nextAction ? pill(sub.nextAction, sub.nextAction === "EXIT" ? "plain" : sub.nextAction === "RETRY" ? "warn" : "") : ""),
        );
      }),
    );
    $("sessions-empty").hidden = sessions.length > 0;
  }

  async function refreshSessions() {
    const client = $("client-filter").value.trim();
    const query = new URLSearchParams({ limit: "100" });
    if (client) query.set("clientId", client);
    renderSessions(listOf(await api("GET", `/_sim/sessions?${query}`), "sessions", "items"));
  }

  // -- one session ----------------------------------------------------------------------------------

  function select(key) {
    if (window.location.hash !== `#/sessions/${encodeURIComponent(key)}`) {
      window.location.hash = `#/sessions/${encodeURIComponent(key)}`;
    }
  }

  function facts(rows) {
    return h("dl", { class: "facts" }, rows.filter(([, value]) => value !== null && value !== undefined && value !== "").map(([name, value]) => [h("dt", {}, name), h("dd", {}, String(value))]));
  }

  function submissionRow(sub) {
    const terminal = sub.status === "COMPLETED" || sub.status === "ERROR";
    const choice = state.forceChoice.get(sub.id) || "PASS";
    const outcome = h(
      "select",
      { "aria-label": "Outcome to force", class: "force-outcome", onchange: (event) => state.forceChoice.set(sub.id, event.target.value) },
      OUTCOMES.map((name) => h("option", { value: name, selected: name === choice }, name)),
    );
    const force = () => act(`Force ${outcome.value}`, "POST", `/_sim/submissions/${encodeURIComponent(sub.id)}/force`, { outcome: outcome.value });
    const callback = () => act("Send callback", "POST", `/_sim/submissions/${encodeURIComponent(sub.id)}/callback`);
    return h(
      "tr",
      { dataset: { submissionId: sub.id } },
      h("td", {}, String(sub.attempt)),
      h("td", { class: "mono small", title: sub.id }, shortId(sub.id)),
      h("td", { class: "status" }, statusCell(sub)),
      h("td", {}, sub.nextAction ? pill(sub.nextAction, "plain") : ""),
      h("td", { class: "small mono nowrap" }, `created ${clockText(sub.createdAt)}`, sub.completedAt ? [h("br"), `ended ${clockText(sub.completedAt)}`] : null),
      h(
        "td",
        {},
        h(
          "div",
          { class: "actions" },
          terminal ? null : [outcome, h("button", { type: "button", class: "btn small force", onclick: force }, "Force")],
          terminal ? h("button", { type: "button", class: "btn small", onclick: callback }, "Send callback") : null,
        ),
      ),
    );
  }

  // Timeline entries (GET /_sim/sessions/{key}): type request | transition | callback | callbackAttempt |
  // referenceFetch | referenceEndpoint | job (a job that failed past its retry budget), each with `at` and a
  // one-line `summary`; the rest is shown as raw JSON on demand.
  const KIND_CLASS = { callback: "callback", callbackAttempt: "callback", referenceFetch: "reference", referenceEndpoint: "reference" };

  function timelineTitle(entry) {
    if (entry.type === "transition") return [`${entry.from || "∅"} → ${entry.to}`, entry.cause || ""];
    if (entry.type === "request") {
      const times = entry.repeats > 1 ? ` ×${entry.repeats} until ${clockText(entry.lastAt)}` : "";
      return [`${entry.method} ${middleEllipsis(entry.path, 52)}`, `→ ${entry.status}${times}`];
    }
    if (entry.type === "callbackAttempt") {
      const result = entry.statusCode !== undefined && entry.statusCode !== null ? entry.statusCode : entry.error || "";
      return [`callback attempt ${entry.number || ""}: ${entry.method || ""} ${middleEllipsis(entry.url, 52)}`, `→ ${result}`];
    }
    return [entry.summary || entry.type || "event", ""];
  }

  function timelineFailed(entry) {
    if (entry.type === "callbackAttempt") return Boolean(entry.error) || !(entry.statusCode >= 200 && entry.statusCode < 300);
    if (entry.type === "request") return Number(entry.status) >= 400;
    if (entry.type === "transition") return entry.to === "ERROR";
    return entry.type === "job";
  }

  function redeliverButton(entry) {
    const id = entry.type === "callback" ? entry.id : null;
    if (!id) return null;
    const redeliver = () => act("Redeliver callback", "POST", `/_sim/callbacks/${encodeURIComponent(id)}/redeliver`);
    return h("button", { type: "button", class: "btn small redeliver", onclick: redeliver }, "Redeliver");
  }

  function timeline(entries) {
    if (!entries.length) return h("p", { class: "empty" }, "Nothing happened yet.");
    return h(
      "ol",
      { class: "timeline" },
      entries.map((entry, index) => {
        const type = entry.type || "event";
        const id = `${type}:${entry.id || ""}:${entry.at || ""}:${index}`;
        const [title, summary] = timelineTitle(entry);
        // The whole line is the <summary>: a click shows the entry's raw JSON.
        return h(
          "li",
          { class: `kind-${KIND_CLASS[type] || type} ${timelineFailed(entry) ? "failed" : ""}`, dataset: { kind: type } },
          h(
            "details",
            { open: state.expanded.has(id), ontoggle: (event) => (event.target.open ? state.expanded.add(id) : state.expanded.delete(id)) },
            h(
              "summary",
              { class: "tl-head" },
              h("span", { class: "tl-time" }, clockText(entry.at)),
              pill(type, "plain"),
              h("span", { class: "tl-title" }, title),
              h("span", { class: "tl-summary" }, summary),
              redeliverButton(entry),
            ),
            h("pre", { class: "json" }, JSON.stringify(entry, null, 2)),
          ),
        );
      }),
    );
  }

  function renderDetail(detail) {
    const key = JSON.stringify(detail);
    if (key === state.rendered.detail) return;
    state.rendered.detail = key;
    const session = detail.session || detail;
    const submissions = listOf(detail, "submissions");
    const entries = listOf(detail, "timeline");
    // The list re-renders while you type: the draft lives in `state`, not only in the input.
    const tokenInput = h("input", {
      type: "text",
      id: "expire-token-input",
      value: state.tokenDraft,
      placeholder: "paste a token (JWT) to expire",
      "aria-label": "Token to expire",
      oninput: (event) => (state.tokenDraft = event.target.value),
    });
    const expire = async () => {
      const token = state.tokenDraft.trim();
      if (!token) return notice("Paste the user token (or partner token) to expire first.", "bad");
      if (await act("Expire the token", "POST", "/_sim/tokens/expire", { token })) {
        state.tokenDraft = "";
        $("expire-token-input").value = "";
      }
      return null;
    };
    const reset = () =>
      window.confirm(`Delete partner session ${session.partnerSessionId} and everything it did?`) &&
      act("Reset session", "POST", "/_sim/reset", { clientId: session.clientId, partnerSessionId: session.partnerSessionId }).then(() => {
        window.location.hash = "#/sessions";
      });
    $("detail-body").replaceChildren(
      h(
        "div",
        { class: "detail-head" },
        h("div", {}, h("h2", { id: "detail-title" }, session.partnerSessionId), h("div", { class: "small muted mono" }, `session ${session.key}`)),
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", class: "btn small danger", onclick: reset }, "Reset session"),
        ),
      ),
      h(
        "div",
        { class: "chips" },
        pill(session.flow || "", "plain"),
        pill(session.source || "", "plain"),
        pill(`scenario ${session.scenario || "?"}${session.scenarioSource ? ` (${session.scenarioSource})` : ""}`, ""),
        session.maxAttempts ? pill(`${submissions.length} of ${session.maxAttempts} attempts`, "plain") : null,
      ),
      facts([
        ["client id", session.clientId],
        ["onboarding partner", session.onboardingPartner],
        ["user", session.userId && `${session.userId} (${session.userIdType || "?"})`],
        ["created", clockText(session.createdAt)],
        ["success URL", session.successRedirectionUrl || session.successUrl],
        ["failure URL", session.failureRedirectionUrl || session.failureUrl],
        ["reference image", session.referenceImageUrl],
        ["theme", session.theme],
      ]),
      h("h3", {}, "Submissions"),
      submissions.length
        ? h(
            "table",
            { class: "grid", id: "submissions-table" },
            h("thead", {}, h("tr", {}, ["#", "submission id", "status", "next", "times", "actions"].map((name) => h("th", {}, name)))),
            h("tbody", {}, submissions.map(submissionRow)),
          )
        : h("p", { class: "empty" }, "No submission yet: the SDK has not asked for upload URLs."),
      h("h3", {}, "Token"),
      h(
        "div",
        { class: "actions" },
        tokenInput,
        h("button", { type: "button", class: "btn small", id: "expire-token", onclick: expire }, "Expire token"),
        h("span", { class: "small muted" }, "the SDK's next call then gets 401 UNAUTHORIZED"),
      ),
      h("h3", {}, "Timeline"),
      timeline(entries),
    );
    $("detail-empty").hidden = true;
    $("detail-body").hidden = false;
  }

  async function refreshDetail() {
    if (!state.selected) {
      $("detail-empty").hidden = false;
      $("detail-body").hidden = true;
      state.rendered.detail = "";
      return;
    }
    try {
      renderDetail(await api("GET", `/_sim/sessions/${encodeURIComponent(state.selected)}`));
    } catch (error) {
      if (error.status !== 404) throw error;
      state.selected = null;
      notice("That session no longer exists (reset?).", "bad");
      window.location.hash = "#/sessions";
    }
  }

  // -- scenarios and requests -------------------------------------------------------------------------

  function renderScenarios(scenarios) {
    const key = JSON.stringify(scenarios);
    if (key === state.rendered.scenarios) return;
    state.rendered.scenarios = key;
    $("scenarios-body").replaceChildren(
      ...scenarios.map((scenario) => {
        const input = h("input", { type: "text", placeholder: "partner session id", "aria-label": `Bind ${scenario.name} to a partner session id` });
        const bind = () => {
          const id = input.value.trim();
          if (!id) return notice("Type the partner session id to bind first.", "bad");
          return act(`Bind ${scenario.name} to ${id}`, "PUT", `/_sim/bindings/${encodeURIComponent(id)}`, { scenario: scenario.name });
        };
        const lines = [...listOf(scenario, "attempts"), ...listOf(scenario, "faults").map((fault) => `fault: ${fault}`)];
        const image = scenario.magicImage && typeof scenario.magicImage === "object" ? scenario.magicImage.name : scenario.magicImage;
        return h(
          "tr",
          { dataset: { scenario: scenario.name } },
          h("td", {}, h("strong", {}, scenario.name), scenario.maxAttempts ? h("div", { class: "small muted" }, `${scenario.maxAttempts} attempts`) : null),
          h("td", {}, scenario.description || "", lines.map((line) => h("div", { class: "small muted" }, String(line)))),
          h("td", { class: "mono small" }, scenario.magicUserId ? `${scenario.magicUserId}…` : ""),
          h("td", { class: "mono small" }, image || ""),
          h("td", { class: "nowrap" }, h("div", { class: "actions nowrap" }, input, h("button", { type: "button", class: "btn small", onclick: bind }, "Bind"))),
        );
      }),
    );
  }

  function renderRequests(entries) {
    const key = JSON.stringify(entries);
    if (key === state.rendered.requests) return;
    state.rendered.requests = key;
    $("requests-body").replaceChildren(
      ...entries.map((entry) =>
        h(
          "tr",
          {},
          h("td", { class: "mono small" }, clockText(entry.at)),
          h("td", {}, entry.direction || "inbound"),
          h("td", {}, entry.method || ""),
          h("td", { class: "mono small" }, (entry.path || entry.url || "") + (entry.repeats > 1 ? ` ×${entry.repeats}` : "")),
          h("td", {}, String(entry.status !== undefined ? entry.status : entry.statusCode || "")),
          h("td", {}, entry.partnerSessionId || ""),
        ),
      ),
    );
    $("requests-empty").hidden = entries.length > 0;
  }

  // -- views and refresh ------------------------------------------------------------------------------

  function route() {
    const parts = (window.location.hash || "#/sessions").slice(2).split("/");
    state.tab = ["sessions", "scenarios", "requests"].includes(parts[0]) ? parts[0] : "sessions";
    const selected = state.tab === "sessions" && parts[1] ? decodeURIComponent(parts[1]) : null;
    if (selected !== state.selected) state.rendered.detail = "";
    state.selected = selected;
    for (const tab of ["sessions", "scenarios", "requests"]) {
      $(`view-${tab}`).hidden = tab !== state.tab;
      document.querySelector(`[data-tab="${tab}"]`).classList.toggle("active", tab === state.tab);
    }
    state.rendered.sessions = "";
    refresh();
  }

  async function refreshView() {
    if (state.tab === "sessions") await Promise.all([refreshSessions(), refreshDetail()]);
    else if (state.tab === "scenarios") renderScenarios(listOf(await api("GET", "/_sim/scenarios"), "scenarios", "items"));
    else renderRequests(listOf(await api("GET", "/_sim/requests?limit=200"), "requests", "items", "entries"));
  }

  let running = null;
  let again = false;

  function refresh() {
    // One refresh at a time; a refresh asked for meanwhile (say, after an action) runs right after it.
    clearTimeout(state.timer);
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await Promise.all([refreshClock(), refreshView()]);
          $("refreshed").textContent = `updated ${clockText(new Date())}`;
          if (/does not answer/.test($("notice").textContent)) notice("");
        } catch (error) {
          notice(error.message, "bad");
        }
      } while (again);
      running = null;
      clearTimeout(state.timer);
      if ($("live").checked) state.timer = setTimeout(refresh, REFRESH_MS);
    })();
    return running;
  }

  function wire() {
    $("clock-toggle").addEventListener("click", () => {
      const frozen = state.clock && state.clock.frozen;
      act(frozen ? "Resume the clock" : "Freeze the clock", "POST", `/_sim/clock/${frozen ? "resume" : "freeze"}`);
    });
    for (const button of document.querySelectorAll("[data-advance]")) {
      button.addEventListener("click", () => advance(Number(button.dataset.advance)));
    }
    $("advance-custom").addEventListener("click", () => {
      const seconds = Number($("advance-seconds").value);
      if (!Number.isFinite(seconds) || seconds < 0) return notice("Type a number of seconds >= 0.", "bad");
      return advance(seconds);
    });
    $("live").addEventListener("change", () => ($("live").checked ? refresh() : clearTimeout(state.timer)));
    $("client-filter").addEventListener("input", () => refresh());
    window.addEventListener("hashchange", route);
  }

  async function identify() {
    try {
      const who = await api("GET", "/_sim/whoami");
      const partner = who.role === "partner";
      document.body.dataset.role = who.role;
      $("whoami").textContent = partner ? `partner ${who.clientId}` : "admin";
      $("whoami").title = partner ? "Only this partner's sessions, requests, bindings and callbacks are shown" : "";
      for (const el of [$("clock-toggle"), document.querySelector(".advance")]) el.hidden = partner;
      if (partner) $("client-filter").hidden = true;
    } catch (error) {
      notice(error.message, "bad");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    wire();
    identify();
    route();
  });
})();
