// The proof conformance vectors (test/vectors/proofs/): loads vectors.json and turns each vector
// into the exact bytes of a proof file, over the committed base bundle (for offline checks)
// or over a live bundle anchored by the test on a real chain (for checks against the chain).
// The library, API, CLI and web page tests all go through here, so they judge the same files.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const VECTORS_DIR = fileURLToPath(new URL("../vectors/proofs/", import.meta.url));
/** The document the base bundle is a proof of, and one with a single digit changed. */
export const CONTRACT_PATH = join(VECTORS_DIR, "contract.txt");
export const OTHER_PATH = join(VECTORS_DIR, "other.txt");

export type VerdictKind = "valid" | "consistent" | "pending" | "invalid";
export interface Expectation {
  verdict: VerdictKind;
  /** Checks that ran and failed (skipped ones aside), in pipeline order. */
  failing: string[];
}
/** RFC 6902 operations; `-` appends to an array. */
export type PatchOp =
  | { op: "add" | "replace"; path: string; value: unknown }
  | { op: "remove"; path: string }
  | { op: "move" | "copy"; from: string; path: string };

export interface VectorSpec {
  name: string;
  description: string;
  /** A file name in VECTORS_DIR: the document to check the proof against. */
  document?: string;
  patch?: PatchOp[];
  /** The proof file's exact text, for vectors that are not a patch of a bundle. */
  text?: string;
  expect: { offline: Expectation; chain: Expectation; detail?: string };
}

export interface ProofVector {
  name: string;
  description: string;
  /** The proof file's exact text. */
  text: string;
  /** Absolute path of the document to check against, or null. */
  document: string | null;
  /** 0x-hex SHA-256 of the document, or null. */
  documentDigest: string | null;
  expect: Expectation;
  /** Exact detail of the failing format check, where the vector pins it. */
  detail?: string;
}

export function vectorSpecs(): VectorSpec[] {
  return (JSON.parse(readFileSync(join(VECTORS_DIR, "vectors.json"), "utf8")) as { vectors: VectorSpec[] }).vectors;
}

/** The committed base: a real bundle of contract.txt, recorded from a run of the service. */
export function baseBundle(): unknown {
  return JSON.parse(readFileSync(join(VECTORS_DIR, "base.json"), "utf8"));
}

/**
 * The batch that produced the base bundle; submitting it again (POST /v1/evidence/batch)
 * gives a live bundle of the same shape: item 1 is contract.txt, leaf 1 of 5.
 */
export function vectorBatch(): { items: Record<string, string>[] } {
  const digestOf = (s: string) => "0x" + createHash("sha256").update(s).digest("hex");
  return {
    items: [
      { digest: digestOf("draft uploaded"), hashAlg: "sha256", caseId: "case-2026-1127", eventType: "uploaded", occurredAt: "2026-11-27T09:00:00Z" },
      { digest: fileDigest(CONTRACT_PATH), hashAlg: "sha256", caseId: "case-2026-1127", eventType: "signed", occurredAt: "2026-11-27T09:30:00Z" },
      { digest: digestOf("sent to provider"), hashAlg: "sha256", caseId: "case-2026-1127", eventType: "sent", occurredAt: "2026-11-27T09:10:00Z" },
      { digest: digestOf("viewed by provider"), hashAlg: "sha256", caseId: "case-2026-1127", eventType: "viewed", occurredAt: "2026-11-27T09:20:00Z" },
      { digest: digestOf("countersigned"), hashAlg: "sha256", caseId: "case-2026-1127", eventType: "countersigned", occurredAt: "2026-11-27T09:40:00Z" },
    ],
  };
}
export const VECTOR_ITEM = 1;

export function fileDigest(path: string): string {
  return "0x" + createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** The proof file text the service would hand out for `bundle`. */
export const proofText = (bundle: unknown): string => JSON.stringify(bundle, null, 2) + "\n";

/**
 * Every vector over `base`. With the committed base, use `expect: "offline"` (its chain is
 * gone); with a bundle just anchored on the test's chain, `expect: "chain"`.
 */
export function materialize(base: unknown, expect: "offline" | "chain"): ProofVector[] {
  return vectorSpecs().map((spec) => {
    const document = spec.document === undefined ? null : join(VECTORS_DIR, spec.document);
    return {
      name: spec.name,
      description: spec.description,
      text: spec.text ?? proofText(applyPatch(base, spec.patch ?? [])),
      document,
      documentDigest: document === null ? null : fileDigest(document),
      expect: spec.expect[expect],
      ...(spec.expect.detail === undefined ? {} : { detail: spec.expect.detail }),
    };
  });
}

/** Writes each vector's proof file as `<dir>/<name>.json`; returns the paths by name. */
export function writeVectors(vectors: ProofVector[], dir: string): Map<string, string> {
  mkdirSync(dir, { recursive: true });
  const paths = new Map<string, string>();
  for (const v of vectors) {
    const path = join(dir, `${v.name}.json`);
    writeFileSync(path, v.text);
    paths.set(v.name, path);
  }
  return paths;
}

/** RFC 6902 over a deep copy of `doc`; throws on a path that does not exist. */
export function applyPatch(doc: unknown, ops: PatchOp[]): unknown {
  let out = structuredClone(doc);
  const tokens = (pointer: string) => pointer.split("/").slice(1).map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
  const parentOf = (pointer: string): [Record<string, unknown> | unknown[], string] => {
    const ts = tokens(pointer);
    let node: unknown = out;
    for (const t of ts.slice(0, -1)) {
      node = (node as Record<string, unknown>)[t];
      if (typeof node !== "object" || node === null) throw new Error(`no such path ${pointer}`);
    }
    return [node as Record<string, unknown>, ts.at(-1)!];
  };
  const get = (pointer: string): unknown => {
    const [parent, key] = parentOf(pointer);
    const v = (parent as Record<string, unknown>)[key];
    if (v === undefined) throw new Error(`no such path ${pointer}`);
    return v;
  };
  const remove = (pointer: string): unknown => {
    const value = get(pointer);
    const [parent, key] = parentOf(pointer);
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
    return value;
  };
  const add = (pointer: string, value: unknown) => {
    if (pointer === "") {
      out = value;
      return;
    }
    const [parent, key] = parentOf(pointer);
    if (Array.isArray(parent)) parent.splice(key === "-" ? parent.length : Number(key), 0, value);
    else parent[key] = value;
  };
  for (const op of ops) {
    switch (op.op) {
      case "add":
        add(op.path, structuredClone(op.value));
        break;
      case "replace":
        get(op.path);
        remove(op.path);
        add(op.path, structuredClone(op.value));
        break;
      case "remove":
        remove(op.path);
        break;
      case "move":
        add(op.path, remove(op.from));
        break;
      case "copy":
        add(op.path, structuredClone(get(op.from)));
        break;
    }
  }
  return out;
}

/** What anchoredVectorProof needs of a test harness (test/helpers/api.ts's ApiHarness fits). */
export interface VectorHarness {
  app: { request(path: string, init?: RequestInit): Response | Promise<Response> };
  batcher: { tick(): Promise<unknown> };
}

/**
 * Submits vectorBatch() through the app, seals and anchors it (one tick, one confirmation),
 * and returns the proof of contract.txt: the live base for materialize(…, "chain").
 */
export async function anchoredVectorProof(h: VectorHarness): Promise<unknown> {
  const res = await h.app.request("/v1/evidence/batch", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(vectorBatch()),
  });
  if (res.status !== 202) throw new Error(`submitting the vector batch: ${res.status} ${await res.text()}`);
  const { items } = (await res.json()) as { items: { id: string }[] };
  await h.batcher.tick();
  const proof = await h.app.request(`/v1/evidence/${items[VECTOR_ITEM]!.id}/proof`);
  const bundle = (await proof.json()) as { anchor: unknown };
  if (proof.status !== 200 || bundle.anchor === null) throw new Error(`the vector batch was not anchored: ${proof.status}`);
  return bundle;
}
