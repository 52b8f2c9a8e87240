// Test helpers for the EvidenceAnchor contract: one in-process Hardhat network per test file,
// a fresh deployment per test, RFC 6962 reference hashing, and custom-error assertions.
import { createHash } from "node:crypto";
import { network } from "hardhat";
import type { Contract, ContractTransactionReceipt, Interface } from "ethers";
import { expect } from "vitest";

type Connection = Awaited<ReturnType<typeof network.connect>>;
export type Ethers = Connection["ethers"];
export type Signer = Awaited<ReturnType<Ethers["getSigners"]>>[number];

let connection: Promise<Connection> | undefined;

/** The in-process EDR network, connected once per test file (each file runs in its own worker). */
export function connect(): Promise<Connection> {
  connection ??= network.connect();
  return connection;
}

export interface AnchorFixture {
  ethers: Ethers;
  /** EvidenceAnchor connected to `anchorer`. */
  anchor: Contract;
  /** The receipt of the deployment (its events: OwnershipTransferred, AnchorerChanged). */
  deployment: ContractTransactionReceipt;
  admin: Signer;
  anchorer: Signer;
  other: Signer;
}

/**
 * Deploys a fresh EvidenceAnchor (owner = signer 0, anchorer = signer 1). Pass
 * `anchorer: null` to deploy with the zero address as anchorer. A fresh contract per test
 * keeps tests independent without chain snapshots.
 */
export async function deployAnchor(options: { anchorer?: null } = {}): Promise<AnchorFixture> {
  const { ethers } = await connect();
  const [admin, anchorer, other] = await ethers.getSigners();
  if (admin === undefined || anchorer === undefined || other === undefined) {
    throw new Error("expected at least 3 signers");
  }
  const anchorerAddress = options.anchorer === null ? ethers.ZeroAddress : anchorer.address;
  const deployed = await ethers.deployContract("EvidenceAnchor", [admin.address, anchorerAddress], admin);
  const deployment = await deployed.deploymentTransaction()?.wait();
  if (!deployment) throw new Error("deployment was not mined");
  const anchor = deployed.connect(anchorer) as Contract;
  return { ethers, anchor, deployment, admin, anchorer, other };
}

// ---------------------------------------------------------------------------------------------
// Bytes and hashing

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function hex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes).toString("hex");
}

export function fromHex(value: string): Uint8Array {
  const digits = value.startsWith("0x") ? value.slice(2) : value;
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) throw new Error(`bad hex: ${value}`);
  return new Uint8Array(Buffer.from(digits, "hex"));
}

/** RFC 6962 leaf hash: SHA-256(0x00 || input). */
export function leafHash(input: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0x00), input);
}

/** RFC 6962 interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0x01), left, right);
}

/** uint64 big-endian, as `abi.encodePacked(uint64)` lays it out. */
export function uint64be(value: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

/** Next head of the contract's hash chain: sha256(prevHead || root || uint64(size)). */
export function nextHead(prevHead: string, root: string, size: bigint | number): string {
  return hex(sha256(fromHex(prevHead), fromHex(root), uint64be(size)));
}

// ---------------------------------------------------------------------------------------------
// Reference RFC 6962 Merkle tree (section 2.1, recursive definitions), independent of src/.

/** Largest power of two strictly smaller than n (n > 1). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over already hashed leaves. */
export function refRoot(leaves: readonly Uint8Array[]): Uint8Array {
  const n = leaves.length;
  if (n === 0) return sha256();
  if (n === 1) return leaves[0]!;
  const k = splitPoint(n);
  return nodeHash(refRoot(leaves.slice(0, k)), refRoot(leaves.slice(k)));
}

/** PATH(m, D[n]): the audit path of leaf m, from the leaf's sibling upward. */
export function refPath(m: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  const n = leaves.length;
  if (m < 0 || m >= n) throw new Error(`index ${m} out of range for size ${n}`);
  if (n === 1) return [];
  const k = splitPoint(n);
  return m < k
    ? [...refPath(m, leaves.slice(0, k)), refRoot(leaves.slice(k))]
    : [...refPath(m - k, leaves.slice(k)), refRoot(leaves.slice(0, k))];
}

// ---------------------------------------------------------------------------------------------
// Custom-error assertions (no chai matchers plugin in this project).

/** Finds the revert data (0x-hex) in an ethers / Hardhat error, wherever it is nested. */
function revertData(error: unknown, seen = new Set<unknown>()): string | undefined {
  if (error === null || typeof error !== "object" || seen.has(error)) return undefined;
  seen.add(error);
  const record = error as Record<string, unknown>;
  const data = record["data"];
  if (typeof data === "string" && /^0x[0-9a-fA-F]*$/.test(data) && data.length >= 10) return data;
  for (const key of ["error", "info", "cause", "data", "payload"]) {
    const found = revertData(record[key], seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Asserts that `action` reverts with the custom error `name` of `iface` and, when given,
 * exactly `args` (compared after normalising numbers to bigint and hex to lowercase).
 */
export async function expectCustomError(
  action: Promise<unknown>,
  iface: Interface,
  name: string,
  args?: readonly unknown[],
): Promise<void> {
  let thrown: unknown;
  try {
    await action;
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) throw new Error(`expected a revert with ${name}, but the call succeeded`);
  const data = revertData(thrown);
  if (data === undefined) throw new Error(`expected a revert with ${name}, got: ${String(thrown)}`);
  const parsed = iface.parseError(data);
  expect(parsed?.name, `revert data ${data}`).toBe(name);
  if (args !== undefined) {
    expect(normalise([...parsed!.args])).toEqual(normalise(args));
  }
}

function normalise(values: readonly unknown[]): unknown[] {
  return values.map((v) => {
    if (typeof v === "number") return BigInt(v);
    if (typeof v === "string") return v.toLowerCase();
    return v;
  });
}

/** The receipt of a sent transaction, failing the test if it is missing. */
export async function mined(tx: Promise<{ wait(): Promise<ContractTransactionReceipt | null> }>) {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction was not mined");
  return receipt;
}
