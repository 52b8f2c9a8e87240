// The verification page (GET /verify): reads the document and the proof on this computer,
// hashes the document with the algorithm the proof names, runs the project's verification
// library (bundled) against the chosen chain source, and shows the verdict.
import { MAX_BUNDLE_TEXT_LENGTH } from "../../core/bundle.ts";
import { checkFormat, identifyInput, jsonRpcReader, parseKeySet, verdictOf, verifyBundle, verifyReport, type ChainReader } from "../../verify/index.ts";
import { doc, win, type Elem, type FileListLike, type FormElem, type InputElem } from "./dom.ts";
import { digestDocument, MAX_SM3_BYTES, type SubtleDigest } from "./digest.ts";
import { LANGS, type Lang, type Messages, preferredLang } from "./messages.ts";
import { renderDetails, renderVerdict } from "./render.ts";
import { buildReportView, buildView, formatBytes, messagesFor, type ChainSource, type DocumentInfo, type ResultView } from "./view.ts";

/** Relay of the service this page came from: read-only JSON-RPC to its chain node. */
const RELAY_PATH = "/v1/chain/rpc";
/** A file this much larger than the longest proof the library reads is certainly not a proof. */
const MAX_PROOF_FILE_BYTES = MAX_BUNDLE_TEXT_LENGTH * 4;
/** Reports carry up to a thousand proofs (the CLI's verify-report reads up to this). */
const MAX_REPORT_FILE_BYTES = 64 * 1024 * 1024;
/** The keys this service signs receipts and reports with. */
const KEYS_PATH = "/.well-known/evidence-keys.json";
/** Where the reader's choice of language is remembered. */
const LANG_KEY = "evidence-verify-lang";

/** The reader's language: the one chosen with the switch before, else the browser's preference. */
function initialLang(): Lang {
  try {
    const saved = win.localStorage?.getItem(LANG_KEY);
    if (saved !== null && saved !== undefined && (LANGS as readonly string[]).includes(saved)) return saved as Lang;
  } catch {
    // Storage refused (private mode, a policy): fall back to the browser's preference.
  }
  return preferredLang(win.navigator.languages ?? (win.navigator.language === undefined ? [] : [win.navigator.language]));
}

let lang: Lang = initialLang();
let M: Messages = messagesFor(lang);

function byId<T extends Elem = Elem>(id: string): T {
  const e = doc.getElementById(id);
  if (e === null) throw new Error(`the page has no #${id}`);
  return e as T;
}

const form = byId<FormElem>("verify-form");
const docInput = byId<InputElem>("document-file");
const proofInput = byId<InputElem>("proof-file");
const proofText = byId<InputElem>("proof-text");
const rpcField = byId("rpc-url-field");
const rpcUrl = byId<InputElem>("rpc-url");
const minConf = byId<InputElem>("min-confirmations");
const verifyButton = byId<Elem>("verify-button");
const formError = byId("form-error");
const verdictRegion = byId("verdict-region");
const details = byId("details");

interface Slot {
  input: InputElem;
  zone: Elem;
  status: Elem;
  name: Elem;
  remove: Elem;
  file: File | null;
}

const slot = (prefix: string, input: InputElem): Slot => ({
  input,
  zone: byId(`${prefix}-zone`),
  status: byId(`${prefix}-status`),
  name: byId(`${prefix}-name`),
  remove: byId(`${prefix}-remove`),
  file: null,
});
const docSlot = slot("document", docInput);
const proofSlot = slot("proof", proofInput);

/**
 * What the result region and the form error show, as functions of the language: switching the
 * language draws them again from the same verification, without checking anything again.
 */
let drawResult: () => void = () => verdictRegion.replaceChildren(placeholder(M.emptyResult));
let errorText: (() => string) | null = null;

function showResult(draw: () => void): void {
  drawResult = draw;
  draw();
}

/** Incremented on every input change and every run: a run whose inputs changed meanwhile is dropped. */
let generation = 0;
let running = false;
let shown = false;

function setFile(s: Slot, file: File | null): void {
  s.file = file;
  s.status.hidden = file === null;
  s.zone.classList.toggle("zone--filled", file !== null);
  s.name.textContent = file === null ? "" : `${file.name} (${formatBytes(file.size, lang)})`;
  if (file === null) s.input.value = "";
  // The proof comes from one place: the latest of the file and the pasted text wins.
  if (s === proofSlot && file !== null) proofText.value = "";
  inputsChanged();
}

function setFromList(s: Slot, files: FileListLike | null): void {
  const file = files?.[0] ?? null;
  if (file !== null && s.input.files !== files) {
    const dt = new win.DataTransfer();
    dt.items.add(file);
    s.input.files = dt.files;
  }
  setFile(s, file);
}

/** A shown result no longer matches the inputs: say so rather than leave a stale verdict. */
function inputsChanged(): void {
  generation++;
  hideError();
  // A run in flight will drop its answer (its generation is stale): say why nothing comes.
  if (!shown && !running) return;
  shown = false;
  details.replaceChildren();
  showResult(() => verdictRegion.replaceChildren(placeholder(M.inputsChanged)));
}

function placeholder(text: string): Elem {
  const p = doc.createElement("p");
  p.className = "placeholder";
  p.textContent = text;
  return p;
}

function showError(message: () => string, focus?: Elem): void {
  errorText = message;
  formError.textContent = message();
  formError.hidden = false;
  focus?.focus();
}

function hideError(): void {
  errorText = null;
  formError.hidden = true;
  formError.textContent = "";
}

function chainSource(): ChainSource | (() => string) {
  const choice = form.querySelector('input[name="chain"]:checked')?.value ?? "relay";
  if (choice === "offline") return { kind: "offline" };
  if (choice === "custom") {
    const raw = rpcUrl.value.trim();
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return () => M.rpcUrlMissing;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return () => M.rpcUrlScheme;
    return { kind: "custom", url: url.href };
  }
  return { kind: "relay", url: new URL(RELAY_PATH, win.location.href).href };
}

function readerFor(source: ChainSource): ChainReader | undefined {
  if (source.kind === "offline") return undefined;
  return jsonRpcReader(source.url, { fetch: (input, init) => fetch(input, { ...init, credentials: "omit" }) });
}

function setBusy(busy: boolean): void {
  running = busy;
  verifyButton.setAttribute("aria-disabled", String(busy));
  verifyButton.textContent = busy ? M.verifyingButton : M.verifyButton;
  byId("result").setAttribute("aria-busy", String(busy));
}

const subtle: SubtleDigest | undefined =
  globalThis.crypto?.subtle === undefined ? undefined : (alg, data) => globalThis.crypto.subtle.digest(alg, data);

async function verify(): Promise<void> {
  if (running) return;
  hideError();
  let text: string;
  if (proofSlot.file !== null) {
    if (proofSlot.file.size > MAX_REPORT_FILE_BYTES) {
      const { name, size } = proofSlot.file;
      showError(() => M.proofTooLarge(name, formatBytes(size, lang)), proofInput);
      return;
    }
    try {
      // A large file is read only as far as needed to see what it is (a report may be large).
      text = proofSlot.file.size > MAX_PROOF_FILE_BYTES ? await proofSlot.file.slice(0, 4096).text() : await proofSlot.file.text();
      if (proofSlot.file.size > MAX_PROOF_FILE_BYTES && /^\s*\{/.test(text)) text = await proofSlot.file.text();
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      showError(() => M.proofUnreadable(why), proofInput);
      return;
    }
  } else if (proofText.value.trim() !== "") {
    text = proofText.value;
  } else {
    showError(() => M.chooseProof, proofInput);
    return;
  }
  const minimum = Number(minConf.value.trim());
  if (minConf.value.trim() === "" || !Number.isSafeInteger(minimum) || minimum < 0) {
    showError(() => M.minConfirmations, minConf);
    return;
  }
  const source = chainSource();
  if (typeof source === "function") {
    showError(source, rpcUrl);
    return;
  }

  const run = ++generation;
  setBusy(true);
  shown = false;
  details.replaceChildren();
  const offline = source.kind === "offline";
  showResult(() => verdictRegion.replaceChildren(placeholder(M.checking(offline))));
  try {
    const identity = identifyInput(text);
    let view: (lang: Lang) => ResultView;
    if (identity.kind === "report") {
      view = await checkReport(text, source, minimum);
    } else if (!identity.proof) {
      if (run !== generation) return;
      showResult(() => verdictRegion.replaceChildren(notAProof(identity.what, identity.advice)));
      shown = true;
      return;
    } else {
      view = await checkProof(text, source, minimum);
    }
    if (run !== generation) return;
    let banner: Elem | null = null;
    showResult(() => {
      const v = view(lang);
      banner = renderVerdict(v);
      verdictRegion.replaceChildren(banner);
      details.replaceChildren(renderDetails(v, M));
    });
    shown = true;
    const b = banner as Elem | null;
    if (b !== null && (b.getBoundingClientRect().top < 0 || b.getBoundingClientRect().bottom > win.innerHeight)) b.scrollIntoView({ block: "start" });
  } catch (e) {
    if (run !== generation) return;
    const why = e instanceof Error ? e.message : String(e);
    showResult(() => verdictRegion.replaceChildren(placeholder(M.couldNotRun(why))));
  } finally {
    setBusy(false);
  }
}

/** A file in the proof box that is something else: what it is and what to do, not a verdict. */
function notAProof(what: string, advice: string): Elem {
  const box = doc.createElement("div");
  box.className = "not-a-proof";
  box.id = "not-a-proof";
  const title = doc.createElement("p");
  title.className = "not-a-proof__title";
  title.textContent = M.notAProofTitle;
  const body = doc.createElement("p");
  body.textContent = M.notAProof(what, advice);
  box.append(title, body);
  return box;
}

/** Checks a proof; the answer is its view in a language, so that a switch re-words it without checking again. */
async function checkProof(text: string, source: ChainSource, minimum: number): Promise<(lang: Lang) => ResultView> {
  let info: DocumentInfo | null = null;
  let documentDigest: string | undefined;
  let documentUnavailable: string | undefined;
  const file = docSlot.file;
  if (file !== null) {
    // Hashed the way the proof's own digest was; a proof that does not parse names no
    // algorithm, and its format check fails anyway (the CLI does the same).
    const alg = checkFormat(text).bundle?.evidence.meta.hashAlg ?? null;
    let d: { digest: string | null; note: string | null };
    try {
      if (alg === "sm3" && file.size > MAX_SM3_BYTES) d = { digest: null, note: M.documentTooLargeForSm3(formatBytes(file.size, lang)) };
      else if (alg === "sha256" || alg === "sha3-256" || alg === "sm3") d = await digestDocument(alg, new Uint8Array(await file.arrayBuffer()), subtle);
      else d = await digestDocument(alg, new Uint8Array(0), subtle);
    } catch (e) {
      d = { digest: null, note: M.documentUnreadable(e instanceof Error ? e.message : String(e)) };
    }
    info = { name: file.name, bytes: file.size, alg, digest: d.digest, note: d.note };
    // A document given but not hashed makes its check unavailable: never the plain VALID.
    if (d.digest !== null) documentDigest = d.digest;
    else if (alg !== null) documentUnavailable = d.note ?? "the document could not be hashed";
  }
  const chain = readerFor(source);
  const result = await verifyBundle(text, {
    ...(chain === undefined ? {} : { chain }),
    minConfirmations: minimum,
    ...(documentDigest === undefined ? {} : { documentDigest }),
    ...(documentUnavailable === undefined ? {} : { documentUnavailable }),
  });
  const verdict = verdictOf(result);
  const document = info;
  return (l) => buildView(result, verdict, { chain: source, document, minConfirmations: minimum, lang: l });
}

/** A report: its signature against this service's published keys, and every proof in it. */
async function checkReport(text: string, source: ChainSource, minimum: number): Promise<(lang: Lang) => ResultView> {
  const report = JSON.parse(text) as Record<string, unknown>;
  const keysUrl = new URL(KEYS_PATH, win.location.href).href;
  let keys;
  try {
    const res = await fetch(keysUrl, { credentials: "omit" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    keys = parseKeySet(await res.json());
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return (l) => {
      const R = messagesFor(l).report;
      const why = R.keysUnavailable(reason);
      return { kind: "inconclusive", label: R.labels.inconclusive, headline: why, meaning: [why], groups: [], checks: [] };
    };
  }
  const chain = readerFor(source);
  const result = await verifyReport(report, { keys, minConfirmations: minimum, ...(chain === undefined ? {} : { chain }) });
  return (l) => buildReportView(result, report as Parameters<typeof buildReportView>[1], { chain: source, keysUrl, lang: l });
}

for (const s of [docSlot, proofSlot]) {
  s.input.addEventListener("change", () => setFromList(s, s.input.files));
  // Space opens a focused file input natively; Enter should too (it is "the button" here).
  s.input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      s.input.click();
    }
  });
  s.remove.addEventListener("click", () => {
    setFile(s, null);
    s.input.focus();
  });
  s.zone.addEventListener("dragenter", (e) => {
    e.preventDefault();
    s.zone.classList.add("zone--over");
  });
  s.zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    if (e.dataTransfer !== null) e.dataTransfer.dropEffect = "copy";
    s.zone.classList.add("zone--over");
  });
  s.zone.addEventListener("dragleave", (e) => {
    if (e.relatedTarget instanceof win.Node && s.zone.contains(e.relatedTarget)) return;
    s.zone.classList.remove("zone--over");
  });
  s.zone.addEventListener("drop", (e) => {
    e.preventDefault();
    s.zone.classList.remove("zone--over");
    const files = e.dataTransfer?.files;
    if (files === undefined || files.length === 0) return;
    // Both files dropped at once, on either zone: the .json one is the proof.
    if (files.length === 2) {
      const [a, b] = [files[0]!, files[1]!];
      const proof = /\.json$/i.test(a.name) && !/\.json$/i.test(b.name) ? a : /\.json$/i.test(b.name) && !/\.json$/i.test(a.name) ? b : null;
      if (proof !== null) {
        const dt = (f: File) => {
          const t = new win.DataTransfer();
          t.items.add(f);
          return t.files;
        };
        setFromList(proofSlot, dt(proof));
        setFromList(docSlot, dt(proof === a ? b : a));
        return;
      }
    }
    setFromList(s, files);
  });
}

// A file dropped beside the zones must not replace the page with the file.
for (const type of ["dragover", "drop"] as const) win.addEventListener(type, (e) => e.preventDefault());

proofText.addEventListener("input", () => {
  if (proofSlot.file !== null && proofText.value !== "") setFile(proofSlot, null);
  else inputsChanged();
});

for (const radio of form.querySelectorAll('input[name="chain"]')) {
  radio.addEventListener("change", () => {
    rpcField.hidden = !byId<InputElem>("chain-custom").checked;
    if (!rpcField.hidden && radio.value === "custom") rpcUrl.focus();
    inputsChanged();
  });
}
rpcUrl.addEventListener("input", inputsChanged);
minConf.addEventListener("input", inputsChanged);

form.addEventListener("submit", (e) => {
  e.preventDefault();
  void verify();
});

form.addEventListener("reset", () => {
  // The form clears its own controls after this event; the page's state follows.
  setTimeout(() => {
    setFile(docSlot, null);
    setFile(proofSlot, null);
    rpcField.hidden = true;
    shown = false;
    details.replaceChildren();
    showResult(() => verdictRegion.replaceChildren(placeholder(M.emptyResult)));
    docInput.focus();
  });
});

/**
 * Words the whole page in `next`: the static text (data-i18n keys into messages' `page`), the
 * <html lang> that screen readers and fonts follow, the switch's state, and whatever the result
 * region shows, drawn again from the same verification.
 */
function applyLang(next: Lang): void {
  lang = next;
  M = messagesFor(next);
  doc.documentElement.setAttribute("lang", next);
  doc.title = M.page.title ?? doc.title;
  for (const e of doc.querySelectorAll("[data-i18n]")) {
    const text = M.page[e.dataset.i18n ?? ""];
    if (text !== undefined) e.textContent = text;
  }
  for (const b of doc.querySelectorAll("[data-lang]")) b.setAttribute("aria-pressed", String(b.dataset.lang === next));
  verifyButton.textContent = running ? M.verifyingButton : M.verifyButton;
  if (errorText !== null) formError.textContent = errorText();
  for (const s of [docSlot, proofSlot]) if (s.file !== null) s.name.textContent = `${s.file.name} (${formatBytes(s.file.size, lang)})`;
  drawResult();
}

for (const b of doc.querySelectorAll("[data-lang]")) {
  b.addEventListener("click", () => {
    const next = b.dataset.lang as Lang;
    if (!(LANGS as readonly string[]).includes(next) || next === lang) return;
    try {
      win.localStorage?.setItem(LANG_KEY, next);
    } catch {
      // Not remembered: the switch still works for this visit.
    }
    applyLang(next);
  });
}
applyLang(lang);
