/*
 * The simulated OneKYC Web SDK page. It holds only the user token from launchUrl's fragment
 * (#/launch-v1?token=…) and plays the SDK against the simulator's vendor endpoints:
 * presign -> upload -> confirm -> poll status (STATUS / RETRY / EXIT), then redirects to the
 * partner's successRedirectionUrl (status=COMPLETED) or failureRedirectionUrl (status=ERROR&error_code=…).
 * Everything rendered goes through textContent: ids and URLs are never parsed as HTML.
 * body[data-screen] and body[data-outcome] say where the page is, for people and for tests.
 */
"use strict";

(function () {
  const POLL_INTERVAL_MS = 1000;
  const REDIRECT_DELAY_MS = 1500;
  const MAX_POLL_FAILURES = 10;
  const TRANSIENT_TRIES = 3;
  const PRESIGN = "/coe/v1/submissions/urls";

  const TEXT = {
    en: {
      loading: "Loading…",
      invalidTitle: "This link is not valid",
      captureTitle: "Selfie verification",
      captureHint: "Take a selfie or choose a photo of your face.",
      attempt: "Attempt {n} of {max}",
      choosePhoto: "Choose a photo",
      useCamera: "Use camera",
      capture: "Capture",
      useSample: "Sample image",
      submit: "Submit selfie",
      cancel: "Cancel",
      uploading: "Uploading your selfie…",
      checking: "Checking your selfie…",
      passedTitle: "Selfie verified",
      passedMessage: "Your liveness check passed.",
      rejectedTitle: "Selfie not verified",
      rejectedMessage: "Your liveness check did not pass.",
      exhaustedTitle: "No attempts left",
      exhaustedMessage: "You have used every attempt for this session.",
      retryTitle: "Let's try again",
      retryMessage: "We could not verify your selfie. Please take it again.",
      tryAgain: "Try again",
      errorTitle: "Something went wrong",
      expiredTitle: "This session has expired",
      expiredMessage: "Please start the verification again from the app.",
      cancelledTitle: "Verification cancelled",
      returning: "Returning to the partner app:",
      continue: "Continue",
      noRedirect: "This session has no usable redirection URL; the SDK result would be:",
    },
    id: {
      loading: "Memuat…",
      invalidTitle: "Tautan ini tidak valid",
      captureTitle: "Verifikasi selfie",
      captureHint: "Ambil selfie atau pilih foto wajah Anda.",
      attempt: "Percobaan {n} dari {max}",
      choosePhoto: "Pilih foto",
      useCamera: "Gunakan kamera",
      capture: "Ambil foto",
      useSample: "Gambar contoh",
      submit: "Kirim selfie",
      cancel: "Batal",
      uploading: "Mengunggah selfie Anda…",
      checking: "Memeriksa selfie Anda…",
      passedTitle: "Selfie terverifikasi",
      passedMessage: "Pemeriksaan liveness Anda berhasil.",
      rejectedTitle: "Selfie tidak terverifikasi",
      rejectedMessage: "Pemeriksaan liveness Anda tidak berhasil.",
      exhaustedTitle: "Kesempatan habis",
      exhaustedMessage: "Semua percobaan untuk sesi ini telah digunakan.",
      retryTitle: "Ayo coba lagi",
      retryMessage: "Kami tidak dapat memverifikasi selfie Anda. Silakan ambil ulang.",
      tryAgain: "Coba lagi",
      errorTitle: "Terjadi kesalahan",
      expiredTitle: "Sesi ini telah berakhir",
      expiredMessage: "Silakan mulai verifikasi lagi dari aplikasi.",
      cancelledTitle: "Verifikasi dibatalkan",
      returning: "Kembali ke aplikasi mitra:",
      continue: "Lanjutkan",
      noRedirect: "Sesi ini tidak memiliki URL pengalihan yang dapat dipakai; hasil SDK adalah:",
    },
  };

  const $ = (id) => document.getElementById(id);

  const state = {
    lang: "id",
    token: null,
    launch: null,
    sdkSessionId: newId(),
    image: null,
    imageType: "",
    previewUrl: null,
    submissionId: null,
    polls: 0,
    failures: 0,
    timer: null,
    camera: null,
    finished: false,
  };

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function t(key, vars) {
    let text = TEXT[state.lang][key] || TEXT.en[key] || key;
    for (const [name, value] of Object.entries(vars || {})) text = text.replace(`{${name}}`, String(value));
    return text;
  }

  function translatePage() {
    document.documentElement.lang = state.lang;
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  }

  function show(screen) {
    for (const section of document.querySelectorAll(".screen")) section.hidden = section.id !== `screen-${screen}`;
    document.body.dataset.screen = screen;
  }

  function tokenFromHash() {
    const hash = window.location.hash || "";
    const query = hash.indexOf("?");
    return query < 0 ? null : new URLSearchParams(hash.slice(query + 1)).get("token");
  }

  // -- HTTP -----------------------------------------------------------------------------------

  async function request(path, init) {
    // { status, body }: status 0 when the connection failed, body null when it was not JSON.
    let response;
    try {
      response = await fetch(path, { cache: "no-store", ...init });
    } catch (error) {
      return { status: 0, body: null };
    }
    const text = await response.text().catch(() => "");
    try {
      return { status: response.status, body: JSON.parse(text) };
    } catch (error) {
      // The storage answers errors as S3 does (XML): keep its <Code> for the message.
      const code = /<Code>([^<]*)<\/Code>/.exec(text);
      return { status: response.status, body: code ? { errors: [{ code: "storage", cause: code[1] }] } : null };
    }
  }

  function call(method, path, body) {
    const headers = {
      "x-onekyc-token": state.token,
      "x-partner-session-id": state.launch ? state.launch.partnerSessionId : "",
      "x-sdk-session-id": state.sdkSessionId,
    };
    const init = { method, headers };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return request(path, init);
  }

  async function withRetries(send) {
    // Like the SDK: a dropped connection or a 5xx is tried again (twice, after a short pause).
    let reply;
    for (let tries = 1; tries <= TRANSIENT_TRIES; tries += 1) {
      reply = await send();
      reply.tries = tries;
      if (reply.status !== 0 && reply.status < 500) break;
      if (tries < TRANSIENT_TRIES) await new Promise((resolve) => setTimeout(resolve, 400 * tries));
    }
    return reply;
  }

  function describeError(reply) {
    const item = reply.body && Array.isArray(reply.body.errors) ? reply.body.errors[0] : null;
    if (item) return `${reply.status} ${item.code} ${item.cause}`;
    return reply.status ? `HTTP ${reply.status}` : "network error";
  }

  // -- launch ---------------------------------------------------------------------------------

  async function start() {
    translatePage();
    $("footer-sdk").textContent = state.sdkSessionId;
    state.token = tokenFromHash();
    if (!state.token) return invalid("launchUrl carries no token: expected #/launch-v1?token=…");
    const reply = await withRetries(() => request("launch", { headers: { "x-onekyc-token": state.token } }));
    if (reply.status !== 200) return invalid(describeError(reply));
    state.launch = reply.body.data;
    state.lang = state.launch.userLocale === "en_ID" ? "en" : "id";
    const theme = { DARK_MODE: "theme-dark", LIGHT_MODE: "theme-light" }[state.launch.theme];
    if (theme) document.documentElement.classList.add(theme);
    translatePage();
    $("footer-session").textContent = state.launch.partnerSessionId;
    if (state.launch.tokenStatus !== "ACTIVE") return sessionTimeout();
    fillScenarios();
    setUpSources();
    showCapture();
  }

  function invalid(detail) {
    $("invalid-detail").textContent = detail;
    show("invalid");
  }

  function attemptLine() {
    const next = Math.min(state.launch.attemptsUsed + 1, state.launch.maxAttempts);
    $("attempt-line").textContent = t("attempt", { n: next, max: state.launch.maxAttempts });
  }

  // -- scripted outcome -------------------------------------------------------------------------

  function fillScenarios() {
    const select = $("scenario-select");
    select.replaceChildren();
    for (const scenario of state.launch.scenarios) {
      const option = document.createElement("option");
      option.value = scenario.name;
      option.textContent = scenario.name;
      select.append(option);
    }
    select.value = state.launch.scenario;
    describeScenario();
    select.addEventListener("change", chooseScenario);
  }

  function describeScenario() {
    const found = state.launch.scenarios.find((s) => s.name === state.launch.scenario);
    $("scenario-description").textContent = found ? found.description : "";
  }

  async function chooseScenario() {
    const select = $("scenario-select");
    const status = $("scenario-state");
    status.textContent = "Binding…";
    const reply = await call("PUT", "scenario", { scenario: select.value });
    if (reply.status === 401) return sessionTimeout();
    if (reply.status !== 200) {
      select.value = state.launch.scenario;
      status.textContent = `Could not bind: ${describeError(reply)}`;
      return;
    }
    state.launch.scenario = reply.body.data.scenario;
    state.launch.maxAttempts = reply.body.data.maxAttempts;
    status.textContent = `✓ Bound to this session: the next selfie follows “${state.launch.scenario}”.`;
    status.dataset.bound = state.launch.scenario;
    describeScenario();
    attemptLine();
  }

  // -- capture ----------------------------------------------------------------------------------

  function setUpSources() {
    $("file-input").addEventListener("change", (event) => {
      const file = event.target.files && event.target.files[0];
      if (file) setImage(file, file.type, file.name);
    });
    $("sample-button").addEventListener("click", async () => setImage(await sampleSelfie(), "image/jpeg", "sample-selfie.jpg"));
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      $("camera-button").hidden = false;
      $("camera-button").addEventListener("click", openCamera);
      $("shutter-button").addEventListener("click", takePhoto);
    }
    $("submit-button").addEventListener("click", submit);
    for (const id of ["cancel-button", "progress-cancel", "result-cancel"]) $(id).addEventListener("click", cancel);
  }

  function showCapture() {
    state.image = null;
    state.submissionId = null;
    $("preview").hidden = true;
    $("frame-empty").hidden = false;
    $("frame").classList.remove("ready");
    $("file-input").value = "";
    $("file-name").textContent = "";
    $("submit-button").disabled = true;
    attemptLine();
    show("capture");
  }

  function setImage(blob, type, name) {
    stopCamera();
    if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
    state.image = blob;
    state.imageType = type || "application/octet-stream";
    state.previewUrl = URL.createObjectURL(blob);
    $("preview").src = state.previewUrl;
    $("preview").hidden = false;
    $("frame-empty").hidden = true;
    $("frame").classList.add("ready");
    $("file-name").textContent = `${name} · ${Math.round(blob.size / 1024)} KiB`;
    $("submit-button").disabled = false;
  }

  async function openCamera() {
    try {
      state.camera = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false });
    } catch (error) {
      $("file-name").textContent = `Camera unavailable (${error.name}): choose a photo instead.`;
      return;
    }
    const video = $("camera");
    video.srcObject = state.camera;
    video.hidden = false;
    $("preview").hidden = true;
    $("frame-empty").hidden = true;
    $("shutter-button").hidden = false;
    $("camera-button").hidden = true;
  }

  function takePhoto() {
    const video = $("camera");
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth || 480;
    canvas.height = video.videoHeight || 640;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob((blob) => blob && setImage(blob, "image/jpeg", "camera-capture.jpg"), "image/jpeg", 0.9);
  }

  function stopCamera() {
    if (state.camera) for (const track of state.camera.getTracks()) track.stop();
    state.camera = null;
    $("camera").hidden = true;
    $("shutter-button").hidden = true;
    $("camera-button").hidden = !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  function sampleSelfie() {
    // A drawn face, not a photo: the scripted outcome, not the pixels, decides the verdict.
    const canvas = document.createElement("canvas");
    canvas.width = 480;
    canvas.height = 600;
    const g = canvas.getContext("2d");
    g.fillStyle = "#cfe3f1";
    g.fillRect(0, 0, 480, 600);
    g.fillStyle = "#e9b98f";
    g.beginPath();
    g.ellipse(240, 290, 140, 180, 0, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = "#3b2a20";
    for (const x of [190, 290]) {
      g.beginPath();
      g.ellipse(x, 250, 16, 10, 0, 0, Math.PI * 2);
      g.fill();
    }
    g.strokeStyle = "#8a4b3a";
    g.lineWidth = 8;
    g.beginPath();
    g.arc(240, 330, 60, 0.15 * Math.PI, 0.85 * Math.PI);
    g.stroke();
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
  }

  // -- presign, upload, confirm, poll -----------------------------------------------------------

  function progress(titleKey, line) {
    $("progress-title").textContent = t(titleKey);
    $("progress-status").textContent = line;
    show("progress");
  }

  async function submit() {
    if (!state.image) return;
    progress("uploading", "GET presigned URL");
    const presign = await withRetries(() => call("GET", `${PRESIGN}?submissionType=${encodeURIComponent(state.launch.flow)}`));
    if (presign.status === 401) return sessionTimeout();
    if (presign.status === 429) return attemptsExhausted();
    if (presign.status !== 200) return problem(`presign: ${describeError(presign)}`);
    const data = presign.body.data;
    state.submissionId = data.submissionId;
    state.polls = 0;
    state.failures = 0;
    if (data.status === "INITIATED") {
      progress("uploading", "PUT documentUrl");
      // As the vendor's SDK does with its S3 URL: PUT to the URL as issued. It is signed for the host of the
      // public base URL, which is also the launchUrl's, so a page opened from its launchUrl uploads same-origin;
      // a page opened under another name uploads cross-origin (allow it with --cors-origin).
      const target = data.documents.SELFIE.documentUrl;
      const upload = await withRetries(() =>
        request(target, { method: "PUT", body: state.image, headers: { "content-type": state.imageType } }),
      );
      if (upload.status !== 200) return problem(`upload: ${describeError(upload)}`);
      progress("uploading", "PUT confirm upload");
      const confirm = await withRetries(() => call("PUT", PRESIGN, { submissionId: state.submissionId }));
      if (confirm.status === 401) return sessionTimeout();
      // A repeated confirm meets 409 when the dropped one had gone through: processing has started.
      const confirmed = confirm.status === 200 || (confirm.status === 409 && confirm.tries > 1);
      if (!confirmed) return problem(`confirm: ${describeError(confirm)}`);
    }
    progress("checking", `submission ${state.submissionId}`);
    poll();
  }

  function nextActionOf(data) {
    if (data.nextAction) return data.nextAction;
    // --strict drops nextAction: decide as the SDK would from status, verdict and attempts.
    if (data.status === "INITIATED" || data.status === "IN_PROGRESS") return "STATUS";
    if (data.status === "COMPLETED" && !(data.verificationResult && data.verificationResult.isApproved)) {
      return state.launch.attemptsUsed + 1 < state.launch.maxAttempts ? "RETRY" : "EXIT";
    }
    return "EXIT";
  }

  async function poll() {
    state.timer = null;
    if (state.finished) return;
    const reply = await call("GET", `/coe/v1/submissions/${encodeURIComponent(state.submissionId)}/status`);
    if (state.finished) return;
    state.polls += 1;
    if (reply.status === 401) return sessionTimeout();
    if (reply.status !== 200) {
      state.failures += 1;
      if (state.failures >= MAX_POLL_FAILURES) return systemError(`status: ${describeError(reply)}`);
      progress("checking", `poll ${state.polls}: ${describeError(reply)}, polling again`);
      state.timer = setTimeout(poll, POLL_INTERVAL_MS);
      return;
    }
    state.failures = 0;
    const data = reply.body.data;
    const action = nextActionOf(data);
    progress("checking", `${data.status} · nextAction ${action} · poll ${state.polls}`);
    if (action === "STATUS") {
      state.timer = setTimeout(poll, POLL_INTERVAL_MS);
      return;
    }
    state.launch.attemptsUsed = typeof data.attempt === "number" ? data.attempt : state.launch.attemptsUsed + 1;
    if (action === "RETRY") return retry(data);
    if (data.status === "ERROR") return systemError(data.errorMessage || "submission ended in ERROR");
    return completed(data);
  }

  function facts(data) {
    const rows = [["submissionId", data.submissionId], ["status", data.status]];
    if (data.verificationResult) rows.push(["isApproved", String(data.verificationResult.isApproved)]);
    if (typeof data.attempt === "number") rows.push(["attempt", `${data.attempt} / ${data.maxAttempts}`]);
    return rows;
  }

  // -- endings ----------------------------------------------------------------------------------

  function result({ icon, tone, title, message, rows, note, primary, onPrimary, cancellable }) {
    $("result-icon").textContent = icon;
    $("result-icon").className = `icon ${tone || ""}`;
    $("result-title").textContent = title;
    $("result-message").textContent = message || "";
    const list = $("result-facts");
    list.replaceChildren();
    for (const [name, value] of rows || []) {
      const dt = document.createElement("dt");
      dt.textContent = name;
      const dd = document.createElement("dd");
      dd.textContent = value;
      list.append(dt, dd);
    }
    $("result-redirect").textContent = note || "";
    const button = $("result-primary");
    button.hidden = !primary;
    button.textContent = primary || "";
    button.onclick = onPrimary || null;
    $("result-cancel").hidden = !cancellable;
    show("result");
  }

  function retry(data) {
    const ui = data.uiMessages && data.uiMessages.message_1;
    result({
      icon: "↻",
      tone: "icon-warn",
      title: t("retryTitle"),
      message: ui && ui.message ? ui.message : t("retryMessage"),
      rows: facts(data),
      primary: t("tryAgain"),
      onPrimary: showCapture,
      cancellable: true,
    });
  }

  function problem(detail) {
    result({
      icon: "!",
      tone: "icon-warn",
      title: t("errorTitle"),
      message: detail,
      primary: t("tryAgain"),
      onPrimary: showCapture,
      cancellable: true,
    });
  }

  function completed(data) {
    const approved = Boolean(data.verificationResult && data.verificationResult.isApproved);
    finish("success", { status: "COMPLETED" }, {
      icon: approved ? "✓" : "✕",
      tone: approved ? "" : "icon-bad",
      title: t(approved ? "passedTitle" : "rejectedTitle"),
      message: t(approved ? "passedMessage" : "rejectedMessage"),
      rows: facts(data),
    });
  }

  function attemptsExhausted() {
    finish("success", { status: "COMPLETED" }, { icon: "✕", tone: "icon-bad", title: t("exhaustedTitle"), message: t("exhaustedMessage") });
  }

  function systemError(detail) {
    finish("failure", { status: "ERROR", error_code: "SYSTEM_ERROR" }, { icon: "!", tone: "icon-bad", title: t("errorTitle"), message: detail });
  }

  function sessionTimeout() {
    finish("failure", { status: "ERROR", error_code: "SESSION_TIMEOUT" }, { icon: "⏱", tone: "icon-warn", title: t("expiredTitle"), message: t("expiredMessage") });
  }

  function cancel() {
    finish("failure", { status: "ERROR", error_code: "USER_CANCELLED" }, { icon: "✕", tone: "icon-warn", title: t("cancelledTitle") }, 0);
  }

  // Only absolute http(s) URLs: "//evil.example", "/\\evil.example", "javascript:" and "data:" are refused,
  // never resolved against this page. Also window.OnekycSdk.absoluteHttpUrl, for tests.
  function absoluteHttpUrl(raw) {
    if (typeof raw !== "string" || !/^https?:\/\/[^/?#]/i.test(raw) || /[\\\u0000-\u0020\u007f]/.test(raw)) return null;
    try {
      const url = new URL(raw);
      return url.protocol === "http:" || url.protocol === "https:" ? url : null;
    } catch (error) {
      return null;
    }
  }
  window.OnekycSdk = Object.freeze({ absoluteHttpUrl: (raw) => (absoluteHttpUrl(raw) ? absoluteHttpUrl(raw).href : null) });

  function redirectUrl(kind, params) {
    const raw = kind === "success" ? state.launch.successRedirectionUrl : state.launch.failureRedirectionUrl;
    const url = absoluteHttpUrl(raw);
    if (!url) return null;
    url.searchParams.set("status", params.status);
    url.searchParams.set("partner_session_id", state.launch.partnerSessionId);
    if (params.error_code) url.searchParams.set("error_code", params.error_code);
    return url.href;
  }

  function finish(kind, params, ui, delay = REDIRECT_DELAY_MS) {
    if (state.finished) return;
    state.finished = true;
    clearTimeout(state.timer);
    stopCamera();
    document.body.dataset.outcome = params.error_code ? `${params.status}:${params.error_code}` : params.status;
    const target = state.launch ? redirectUrl(kind, params) : null;
    const query = new URLSearchParams(params).toString();
    if (!target) {
      result({ ...ui, note: `${t("noRedirect")} ${query}` });
      return;
    }
    result({ ...ui, note: `${t("returning")} ${target}`, primary: t("continue"), onPrimary: () => window.location.assign(target) });
    setTimeout(() => window.location.assign(target), delay);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
