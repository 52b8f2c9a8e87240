// The verification page (GET /verify): reads the document and the proof on this computer,
// hashes the document with the algorithm the proof names, runs the project's verification
// library (bundled) against the chosen chain source, and shows the verdict.
import { MAX_BUNDLE_TEXT_LENGTH } from "../../core/bundle.ts";
import { checkFormat, identifyInput, jsonRpcReader, parseKeySet, verdictOf, verifyBundle, verifyReport, type ChainReader } from "../../verify/index.ts";
import { doc, win, type Elem, type FileListLike, type FormElem, type InputElem } from "./dom.ts";
import { digestDocument, MAX_SM3_BYTES, type SubtleDigest } from "./digest.ts";
import { MESSAGES } from "./messages.ts";
import { renderDetails, renderVerdict } from "./render.ts";
import { buildReportView, buildView, formatBytes, type ChainSource, type DocumentInfo, type ResultView } from "./view.ts";

/** Relay of the service this page came from: read-only JSON-RPC to its chain node. */
const RELAY_PATH = "/v1/chain/rpc";
/** A file this much larger than the longest proof the library reads is certainly not a proof. */
const MAX_PROOF_FILE_BYTES = MAX_BUNDLE_TEXT_LENGTH * 4;
/** Reports carry up to a thousand proofs (the CLI's verify-report reads up to this). */
const MAX_REPORT_FILE_BYTES = 64 * 1024 * 1024;
/** The keys this service signs receipts and reports with. */
const KEYS_PATH = "/.well-known/evidence-keys.json";

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

/** Incremented on every input change and every run: a run whose inputs changed meanwhile is dropped. */
let generation = 0;
let running = false;
let shown = false;

function setFile(s: Slot, file: File | null): void {
  s.file = file;
  s.status.hidden = file === null;
  s.zone.classList.toggle("zone--filled", file !== null);
  s.name.textContent = file === null ? "" : `${file.name} (${formatBytes(file.size)})`;
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
  verdictRegion.replaceChildren(placeholder(MESSAGES.inputsChanged));
}

function placeholder(text: string): Elem {
  const p = doc.createElement("p");
  p.className = "placeholder";
  p.textContent = text;
  return p;
}

function showError(message: string, focus?: Elem): void {
  formError.textContent = message;
  formError.hidden = false;
  focus?.focus();
}

function hideError(): void {
  formError.hidden = true;
  formError.textContent = "";
}

function chainSource(): ChainSource | string {
  const choice = form.querySelector('input[name="chain"]:checked')?.value ?? "relay";
  if (choice === "offline") return { kind: "offline" };
  if (choice === "custom") {
    const raw = rpcUrl.value.trim();
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return MESSAGES.rpcUrlMissing;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return MESSAGES.rpcUrlScheme;
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
  verifyButton.textContent = busy ? MESSAGES.verifyingButton : MESSAGES.verifyButton;
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
      showError(MESSAGES.proofTooLarge(proofSlot.file.name, formatBytes(proofSlot.file.size)), proofInput);
      return;
    }
    try {
      // A large file is read only as far as needed to see what it is (a report may be large).
      text = proofSlot.file.size > MAX_PROOF_FILE_BYTES ? await proofSlot.file.slice(0, 4096).text() : await proofSlot.file.text();
      if (proofSlot.file.size > MAX_PROOF_FILE_BYTES && /^\s*\{/.test(text)) text = await proofSlot.file.text();
    } catch (e) {
      showError(MESSAGES.proofUnreadable(e instanceof Error ? e.message : String(e)), proofInput);
      return;
    }
  } else if (proofText.value.trim() !== "") {
    text = proofText.value;
  } else {
    showError(MESSAGES.chooseProof, proofInput);
    return;
  }
  const minimum = Number(minConf.value.trim());
  if (minConf.value.trim() === "" || !Number.isSafeInteger(minimum) || minimum < 0) {
    showError(MESSAGES.minConfirmations, minConf);
    return;
  }
  const source = chainSource();
  if (typeof source === "string") {
    showError(source, rpcUrl);
    return;
  }

  const run = ++generation;
  setBusy(true);
  shown = false;
  details.replaceChildren();
  verdictRegion.replaceChildren(placeholder(MESSAGES.checking(source.kind === "offline")));
  try {
    const identity = identifyInput(text);
    let view: ResultView;
    if (identity.kind === "report") {
      view = await checkReport(text, source, minimum);
    } else if (!identity.proof) {
      if (run !== generation) return;
      verdictRegion.replaceChildren(notAProof(identity.what, identity.advice));
      shown = true;
      return;
    } else {
      view = await checkProof(text, source, minimum);
    }
    if (run !== generation) return;
    const banner = renderVerdict(view);
    verdictRegion.replaceChildren(banner);
    details.replaceChildren(renderDetails(view));
    shown = true;
    if (banner.getBoundingClientRect().top < 0 || banner.getBoundingClientRect().bottom > win.innerHeight) banner.scrollIntoView({ block: "start" });
  } catch (e) {
    if (run !== generation) return;
    verdictRegion.replaceChildren(placeholder(MESSAGES.couldNotRun(e instanceof Error ? e.message : String(e))));
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
  title.textContent = MESSAGES.notAProofTitle;
  const body = doc.createElement("p");
  body.textContent = MESSAGES.notAProof(what, advice);
  box.append(title, body);
  return box;
}

async function checkProof(text: string, source: ChainSource, minimum: number): Promise<ResultView> {
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
      if (alg === "sm3" && file.size > MAX_SM3_BYTES) d = { digest: null, note: MESSAGES.documentTooLargeForSm3(formatBytes(file.size)) };
      else if (alg === "sha256" || alg === "sha3-256" || alg === "sm3") d = await digestDocument(alg, new Uint8Array(await file.arrayBuffer()), subtle);
      else d = await digestDocument(alg, new Uint8Array(0), subtle);
    } catch (e) {
      d = { digest: null, note: MESSAGES.documentUnreadable(e instanceof Error ? e.message : String(e)) };
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
  return buildView(result, verdictOf(result), { chain: source, document: info, minConfirmations: minimum });
}

/** A report: its signature against this service's published keys, and every proof in it. */
async function checkReport(text: string, source: ChainSource, minimum: number): Promise<ResultView> {
  const report = JSON.parse(text) as Record<string, unknown>;
  const keysUrl = new URL(KEYS_PATH, win.location.href).href;
  let keys;
  try {
    const res = await fetch(keysUrl, { credentials: "omit" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    keys = parseKeySet(await res.json());
  } catch (e) {
    const why = MESSAGES.report.keysUnavailable(e instanceof Error ? e.message : String(e));
    return { kind: "inconclusive", label: MESSAGES.report.labels.inconclusive, headline: why, meaning: [why], groups: [], checks: [] };
  }
  const chain = readerFor(source);
  const result = await verifyReport(report, { keys, minConfirmations: minimum, ...(chain === undefined ? {} : { chain }) });
  return buildReportView(result, report as Parameters<typeof buildReportView>[1], { chain: source, keysUrl });
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
    verdictRegion.replaceChildren(placeholder(MESSAGES.emptyResult));
    docInput.focus();
  });
});
