// The verification page (GET /verify): reads the document and the proof on this computer,
// hashes the document with the algorithm the proof names, runs the project's verification
// library (bundled) against the chosen chain source, and shows the verdict.
import { MAX_BUNDLE_TEXT_LENGTH } from "../../core/bundle.ts";
import { checkFormat, jsonRpcReader, verdictOf, verifyBundle, type ChainReader } from "../../verify/index.ts";
import { doc, win, type Elem, type FileListLike, type FormElem, type InputElem } from "./dom.ts";
import { digestDocument, type SubtleDigest } from "./digest.ts";
import { renderDetails, renderVerdict } from "./render.ts";
import { buildView, formatBytes, type ChainSource, type DocumentInfo } from "./view.ts";

/** Relay of the service this page came from: read-only JSON-RPC to its chain node. */
const RELAY_PATH = "/v1/chain/rpc";
/** A file this much larger than the longest proof the library reads is certainly not a proof. */
const MAX_PROOF_FILE_BYTES = MAX_BUNDLE_TEXT_LENGTH * 4;

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
  verdictRegion.replaceChildren(placeholder("The inputs changed. Press Verify to check again."));
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
      return "Enter the RPC URL of your node (starting with https:// or http://), or choose another blockchain source.";
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return "The RPC URL must start with https:// or http://.";
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
  verifyButton.textContent = busy ? "Verifying…" : "Verify";
  byId("result").setAttribute("aria-busy", String(busy));
}

const subtle: SubtleDigest | undefined =
  globalThis.crypto?.subtle === undefined ? undefined : (alg, data) => globalThis.crypto.subtle.digest(alg, data);

async function verify(): Promise<void> {
  if (running) return;
  hideError();
  let text: string;
  if (proofSlot.file !== null) {
    if (proofSlot.file.size > MAX_PROOF_FILE_BYTES) {
      showError(
        `“${proofSlot.file.name}” is ${formatBytes(proofSlot.file.size)}: far too large to be a proof (proofs are a few kilobytes). Did you choose the document as the proof?`,
        proofInput,
      );
      return;
    }
    try {
      text = await proofSlot.file.text();
    } catch (e) {
      showError(`The proof file could not be read: ${e instanceof Error ? e.message : String(e)}. Choose it again.`, proofInput);
      return;
    }
  } else if (proofText.value.trim() !== "") {
    text = proofText.value;
  } else {
    showError("Choose the proof file, or paste the proof text.", proofInput);
    return;
  }
  const minimum = Number(minConf.value.trim());
  if (minConf.value.trim() === "" || !Number.isSafeInteger(minimum) || minimum < 0) {
    showError("Minimum confirmations must be a whole number, 0 or more.", minConf);
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
  verdictRegion.replaceChildren(placeholder(source.kind === "offline" ? "Checking the proof…" : "Checking the proof and the blockchain…"));
  try {
    let doc: DocumentInfo | null = null;
    let documentDigest: string | undefined;
    const file = docSlot.file;
    if (file !== null) {
      // Hashed the way the proof's own digest was; a proof that does not parse names no
      // algorithm, and its format check fails anyway (the CLI does the same).
      const alg = checkFormat(text).bundle?.evidence.meta.hashAlg ?? null;
      const hashable = alg === "sha256" || alg === "sha3-256";
      const d = await digestDocument(alg, hashable ? new Uint8Array(await file.arrayBuffer()) : new Uint8Array(0), subtle);
      doc = { name: file.name, bytes: file.size, alg, digest: d.digest, note: d.note };
      if (d.digest !== null) documentDigest = d.digest;
    }
    const chain = readerFor(source);
    const result = await verifyBundle(text, {
      ...(chain === undefined ? {} : { chain }),
      minConfirmations: minimum,
      ...(documentDigest === undefined ? {} : { documentDigest }),
    });
    if (run !== generation) return;
    const view = buildView(result, verdictOf(result), { chain: source, document: doc, minConfirmations: minimum });
    const banner = renderVerdict(view);
    verdictRegion.replaceChildren(banner);
    details.replaceChildren(renderDetails(view));
    shown = true;
    if (banner.getBoundingClientRect().top < 0 || banner.getBoundingClientRect().bottom > win.innerHeight) banner.scrollIntoView({ block: "start" });
  } catch (e) {
    if (run !== generation) return;
    verdictRegion.replaceChildren(placeholder(`Verification could not run: ${e instanceof Error ? e.message : String(e)}`));
  } finally {
    setBusy(false);
  }
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
    verdictRegion.replaceChildren(placeholder("Add a proof and press Verify. The result appears here."));
    docInput.focus();
  });
});
