// Every sentence the verification page shows that is not the library's own wording, in one
// table per language: MESSAGES (English) and MESSAGES_ZH (Chinese, the terms of Chinese
// practice: 存证, 哈希值/摘要值, 默克尔树, 区块高度, 交易哈希, 时间戳) have the same shape, so the
// compiler finds a sentence missing from one. Parameterised sentences are functions. The
// static page (index.html) names its strings with data-i18n keys into `page`. Pure data: no DOM.
import { type ClaimedTimeFinding, claimedTimeSentence, type VerdictKind } from "../../verify/index.ts";

export type CheckState = "ok" | "failed" | "skipped" | "unavailable";

/** The page's languages: BCP 47 tags, as set on <html lang>. */
export type Lang = "zh-CN" | "en";
export const LANGS: readonly Lang[] = ["zh-CN", "en"];

/** The reader's language from the browser's preferences: any Chinese (zh, zh-TW, zh-Hans-CN…) reads zh-CN, else English. */
export function preferredLang(languages: readonly string[]): Lang {
  return languages.some((l) => /^zh(-|$)/i.test(l)) ? "zh-CN" : "en";
}

export const MESSAGES = {
  verdictLabels: {
    valid: "VALID",
    invalid: "NOT VALID",
    pending: "NOT YET ANCHORED",
    consistent: "CONSISTENT — ANCHOR NOT CHECKED",
    inconclusive: "COULD NOT VERIFY",
  } satisfies Record<VerdictKind, string>,
  /** A valid proof whose document was given but not checked: never the plain VALID. */
  validDocumentUnchecked: "VALID — DOCUMENT NOT CHECKED",
  stateWords: { ok: "passed", failed: "failed", skipped: "skipped", unavailable: "could not run" } satisfies Record<CheckState, string>,
  checkTitles: {
    format: "The proof file is a well-formed evidence proof",
    document: "The document is the one the proof was made for",
    leaf: "The evidence record is intact",
    root: "The record is part of the anchored batch",
    chain: "The blockchain is the one the proof names",
    transaction: "The anchoring transaction is on the blockchain",
    block: "The block and its time match",
    log: "The transaction recorded this batch",
    contract: "The anchoring contract confirms the batch",
    confirmations: "Enough blocks have followed",
  } as Record<string, string>,
  checksSummary: (ok: number, failed: number, skipped: number, unavailable: number) =>
    `${ok} passed, ${failed} failed, ${skipped} skipped${unavailable > 0 ? `, ${unavailable} could not run` : ""} (– means the check was not asked for${unavailable > 0 ? ", ? that it could not run" : ""}).`,
  inconclusiveChain: (relay: boolean): string =>
    relay
      ? "The blockchain could not be reached through this service, so the anchor could not be checked. Nothing found so far is wrong with the proof: this is not a verdict against it. Try again later, or use your own node."
      : "The blockchain could not be reached at the address you gave, so the anchor could not be checked. Nothing found so far is wrong with the proof: this is not a verdict against it. Check the RPC URL (and that the node accepts requests from this page), or try again later.",
  inconclusiveDocument:
    "Your document could not be checked here, so this does not show that the proof is about it. Nothing found so far is wrong with the proof.",
  validDocumentUncheckedMeaning: "The proof itself verified, but your document was not checked.",
  beijingLabel: "The same in Beijing time (UTC+08:00)",
  // The form and its errors.
  verifyButton: "Verify",
  verifyingButton: "Verifying…",
  chooseProof: "Choose the proof file, or paste the proof text.",
  minConfirmations: "Minimum confirmations must be a whole number, 0 or more.",
  rpcUrlMissing: "Enter the RPC URL of your node (starting with https:// or http://), or choose another blockchain source.",
  rpcUrlScheme: "The RPC URL must start with https:// or http://.",
  inputsChanged: "The inputs changed. Press Verify to check again.",
  emptyResult: "Add a proof and press Verify. The result appears here.",
  checking: (offline: boolean): string => (offline ? "Checking the proof…" : "Checking the proof and the blockchain…"),
  couldNotRun: (why: string) => `Verification could not run: ${why}`,
  proofTooLarge: (name: string, size: string) =>
    `“${name}” is ${size}: far too large to be a proof (proofs are a few kilobytes). Did you choose the document as the proof?`,
  proofUnreadable: (why: string) => `The proof file could not be read: ${why}. Choose it again.`,
  // A file in the proof box that is not a proof (src/verify/identify.ts says what it is).
  notAProofTitle: "This is not a proof file",
  notAProof: (what: string, advice: string) => `${what.charAt(0).toUpperCase()}${what.slice(1)}. Instead: ${advice}.`,
  // The document's digest.
  documentTooLargeForSm3: (size: string) =>
    `Your document (${size}) is too large to hash with SM3 in this browser, so it was not checked. Check it with the command-line verifier: npx evidence verify proof.json --file <document>`,
  documentUnknownAlg: (alg: string) => `The proof names a hash algorithm this page does not know (${alg}), so your document was not checked.`,
  documentNoAlg: "The proof could not be read, so it does not say how to hash your document: your document was not checked.",
  documentUnreadable: (why: string) => `Your document could not be read (${why}), so it was not checked.`,
  // Reports.
  report: {
    title: "Evidence report",
    labels: {
      valid: "REPORT VALID",
      consistent: "REPORT CONSISTENT — ANCHORS NOT CHECKED",
      inconclusive: "COULD NOT VERIFY THE REPORT",
      invalid: "REPORT NOT VALID",
    } as Record<"valid" | "consistent" | "inconclusive" | "invalid", string>,
    keysFrom: (url: string) => `Signature checked against the keys this service publishes (${url}).`,
    keysUnavailable: (why: string) => `The service's published keys could not be fetched (${why}), so the report's signature could not be checked.`,
    signature: "Signature",
    event: (n: number) => `Event ${n}`,
    timeline: "Timeline",
    warnings: "Warnings about the times the platform claims",
    warningsNote: "These times are the platform's own statements; the anchor times come from the blockchain.",
    eventState: { valid: "verified", consistent: "consistent, anchor not checked", pending: "not anchored yet", inconclusive: "could not verify", invalid: "failed" } as Record<
      VerdictKind,
      string
    >,
    /** An event whose proof checks out but is not the one the report states (its digest, say). */
    eventMismatch: "does not match the report: the report states something its proof does not show",
    anchoredAt: (utc: string, beijing: string) => `anchored ${utc} (UTC) · ${beijing}`,
    claimed: (at: string) => `occurred at ${at}, as the platform claims`,
  },
  // The result's own headings and sentences (view.ts, render.ts).
  whatThisMeans: "What this means",
  everyCheck: "Every check",
  chainNames: {
    1: "Ethereum mainnet",
    10: "OP Mainnet",
    56: "BNB Smart Chain",
    100: "Gnosis",
    137: "Polygon PoS",
    8453: "Base",
    42161: "Arbitrum One",
    11155111: "Sepolia test network",
    17000: "Holesky test network",
    31337: "local development chain",
  } as Record<number, string>,
  chain: (id: number, name: string | undefined) => (name === undefined ? `chain ${id}` : `chain ${id} (${name})`),
  bytes: (n: number) => `${n} byte${n === 1 ? "" : "s"}`,
  /** "27 November 2026, 09:31:12" from the parts of an instant (month as a number 1-12). */
  dateTime: (p: { year: string; month: number; day: string; hour: string; minute: string; second: string }) =>
    `${p.day} ${MONTHS_EN[p.month - 1]} ${p.year}, ${p.hour}:${p.minute}:${p.second}`,
  utc: (dateTime: string) => `${dateTime} UTC`,
  zone: (name: string, offset: string) => `${name}, ${offset}`,
  yourTime: (clock: string, zone: string) => `${clock} your time, ${zone}`,
  atBlock: (n: string) => `block ${n}`,
  meaningFormat:
    "The proof could not be read as an evidence proof (format evidence-proof/v1). Check that you chose the proof file (usually a .json file) and not the document, and that it was not edited.",
  meaningDocument:
    "The document you chose is not the document this proof was made for: even a one-character change gives a different fingerprint (digest). Check that you chose the right file.",
  meaningAltered: "The proof has been altered since it was issued: its parts no longer fit together.",
  meaningUnreachable: (relay: boolean): string =>
    relay
      ? "The blockchain could not be reached through this service, so the anchor could not be checked. Try again later, or use your own node."
      : "The blockchain could not be reached at the address you gave, so the anchor could not be checked. Check the RPC URL (and that the node accepts requests from this page), or try again later.",
  meaningWrongChain: "The chain source serves a different blockchain than the one the proof names, so the anchor cannot be checked there. Use a node of the chain named in the proof.",
  meaningConfirmations:
    "The record is on the blockchain, but fewer blocks have followed it than the minimum you asked for. Wait and verify again, or lower the minimum.",
  meaningTransaction: "The anchoring transaction the proof names is not on the blockchain as the proof describes it.",
  meaningBlock: "The block or the time stated in the proof does not match the blockchain.",
  meaningNoRecord: "The blockchain has no record of this batch as the proof describes it.",
  validDocument: (at: string) => `This document existed, unchanged, no later than ${at}.`,
  validRecord: (at: string) => `The record this proof is about existed, unchanged, no later than ${at}.`,
  validNoDocument: "No document was checked. Add the document above and verify again to confirm that this proof is about it.",
  validTimeSource: (submitter: string) =>
    `The time comes from the blockchain block that holds the record, not from any clock of this service. The record was submitted by “${submitter}”.`,
  consistentNoTime: "Every check that could run passed, but the blockchain was not asked, so this does not show when the record existed.",
  consistentClaimed: (utc: string) =>
    `Every check that could run passed, but the blockchain was not asked, so this does not yet show when the record existed. The proof states that it was anchored at ${utc}; choose a blockchain source and verify again to confirm it.`,
  documentMatches: "The document you chose is the one this proof was made for.",
  pendingMeaning:
    "The proof is well-formed, but its record has not been written to the blockchain yet, so it does not show a time yet. Ask for the proof again in a few minutes and verify the new file.",
  intactOther: (alg: string, digest: string) => `The proof itself is intact: it is about a file whose ${alg} digest is ${digest}.`,
  intactOtherWhen: (alg: string, digest: string, utc: string) =>
    `The proof itself is intact: it shows that a file whose ${alg} digest is ${digest} existed no later than ${utc}. Your file is not that file.`,
  invalidNotShown: "This proof, as checked here, does not show that the document existed at the stated time.",
  facts: {
    anchorTitle: "Anchor",
    anchoredUtc: "Anchored no later than (UTC)",
    statedUtc: "Anchor time stated by the proof (UTC)",
    notConfirmed: "Not confirmed on the blockchain.",
    yourTimeLabel: "The same in your time",
    blockchain: "Blockchain",
    block: "Block",
    transaction: "Transaction",
    contract: "Anchoring contract",
    confirmations: "Confirmations",
    notChecked: "not checked",
    atLeast: (n: number) => `At least ${n} asked for.`,
    anchored: "Anchored",
    notYet: "not yet",
    evidenceTitle: "Evidence",
    digestInProof: (alg: string) => `Document digest in the proof (${alg})`,
    submittedBy: "Submitted by",
    caseId: "Case",
    event: "Event",
    occurredAt: "Occurred at",
    asStated: (raw: string) => `As stated by the platform that submitted it (${raw}).`,
    received: "Received by the service",
    evidenceId: "Evidence id",
    batch: "Batch",
    batchValue: (seq: number, n: number, size: number) => `batch ${seq}, record ${n} of ${size}`,
    documentTitle: "Your document",
    document: "Document",
    noneGiven: "none given",
    checkedAlone: "The proof was checked on its own.",
    file: "File",
    fileNote: (size: string) => `${size}, read on this computer only.`,
    digestHere: (alg: string) => `Its digest (${alg}), computed here`,
    matches: "Matches the proof",
    yes: "yes",
    no: "no",
    digest: "Its digest",
    notComputed: "not computed",
    howTitle: "How it was checked",
    source: "Blockchain source",
    relay: "this service’s relay",
    relayNote: (url: string) => `The blockchain data came through this service (${url}). For full independence, verify with your own node.`,
    ownNode: "Your own node.",
    offline: "none (offline)",
    offlineNote: "The blockchain was not asked.",
    minConfirmations: "Minimum confirmations",
  },
  /** The headline under the banner; null: the library's own sentence (English), without its verdict words. */
  headline: null as null | ((h: HeadlineInput) => string),
  /** A library detail (a check, a file's identity) in this language; English returns it unchanged. */
  detail: (s: string) => s,
  reportFailing: (names: string) => `failing: ${names}`,
  reportBeijing: (t: string) => `${t} Beijing time (UTC+08:00)`,
  reportConsistent: "The signature and every proof check out, but the blockchain was not asked, so the anchor times are not confirmed. Choose a blockchain source and verify again.",
  /** A proof's claimed occurredAt that cannot be true (the amber note under the verdict; never a change of it). */
  claimedTime: (f: ClaimedTimeFinding): string => `${claimedTimeSentence(f).charAt(0).toUpperCase()}${claimedTimeSentence(f).slice(1)}.`,
  /** The static page (index.html): element key → text. */
  page: {
    title: "Verify an evidence proof",
    skip: "Skip to the form",
    eyebrow: "Evidence proof verification",
    h1: "Verify an evidence proof",
    lead: "An evidence proof is a small file that shows a document existed, unchanged, no later than a moment recorded on a public blockchain. Add the document and its proof, then press Verify. The page reads the proof, recomputes every hash, and asks the blockchain whether the record is there.",
    privacy: "Your document is hashed on this computer and is never uploaded.",
    langLabel: "Language",
    formHeading: "What to check",
    docTitle: "The document",
    optional: "(optional)",
    docZone: "Document file",
    dropFile: "Drop the file here, or",
    chooseFile: "choose a file",
    remove: "Remove",
    removeDocument: " the document",
    removeProof: " the proof file",
    docHelp: "The contract, PDF or other file the proof is about. It is hashed here, in your browser, and never leaves this computer.",
    proofTitle: "The proof",
    proofZone: "Proof file",
    dropProof: "Drop the proof (.json) here, or",
    proofHelp: "The proof file you received with the document (format evidence-proof/v1).",
    paste: "Or paste the proof text",
    chainTitle: "The blockchain check",
    chainLegend: "Where to check the blockchain",
    relay: "Through this service (default)",
    relayHelp: "The blockchain data comes through this service’s read-only relay. For full independence, use your own node.",
    custom: "My own node (RPC URL)",
    customHelp: "A JSON-RPC URL (http or https) of a node you trust, for the chain the proof names. The node must accept requests from this page (CORS).",
    rpcLabel: "RPC URL of my node",
    offline: "Don’t check the blockchain (offline)",
    offlineHelp: "Checks only that the proof is internally consistent. This cannot confirm when the document existed.",
    minConf: "Minimum confirmations",
    minConfHelp: "How many blocks, counting the one that holds the record, the chain must have built. 1 is enough for most purposes.",
    startOver: "Start over",
    resultHeading: "Result",
    footFormat: "Proof format:",
    footPrivacy: "· Nothing on this page is sent anywhere except the blockchain questions, to the source chosen above.",
    footCli: "Command-line verifier:",
    footApi: "API description",
  } as Record<string, string>,
};

const MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** What a translated headline is built from: the library's verdict, not its English sentence. */
export interface HeadlineInput {
  kind: VerdictKind;
  /** The failed check (invalid), or the one that could not run (inconclusive). */
  check: { name: string; detail: string } | null;
  digest: string | null;
  chainId: number | null;
  blockNumber: number | null;
  /** The anchor time, already formatted, or null. */
  anchoredAt: string | null;
}

export type Messages = typeof MESSAGES;
