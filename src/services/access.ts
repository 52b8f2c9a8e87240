// Who may do what: principals (tenants, verifiers, admins), their API keys, and case
// disclosures to verifiers. Every change is written to the audit log in the same
// transaction, so a change and its audit entry commit together or not at all.
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { generateKey, hashKey, KEY_ID_RE, keyMatches, parseKey } from "../auth/keys.ts";
import { ServiceError, notFound, validationFailed } from "../errors.ts";
import { errorFields, type Logger } from "../log.ts";
import {
  countPrincipals,
  disablePrincipal,
  findKeyForAuth,
  getDisclosure,
  getKey,
  getPrincipal,
  insertDisclosure,
  insertKey,
  insertPrincipal,
  listDisclosures,
  listKeys,
  listPrincipals,
  revokeDisclosure,
  revokeKey,
  touchKey,
} from "../store/access.ts";
import { appendAudit } from "../store/audit.ts";
import type { Db } from "../store/db.ts";
import { pageOf } from "../store/paging.ts";
import type { ApiKeyRow, DisclosureRow, PrincipalKind, PrincipalRow } from "../store/schema.ts";
import type { Scope } from "../store/scope.ts";

/** Principal ids end up in every proof's meta.submitter: short, lowercase, unambiguous. */
export const PRINCIPAL_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The service's own tenant: audit-log heads and (later) reports are its evidence. */
export const SYSTEM_TENANT = "system";
/** The admin created on the first start of an empty database. */
export const BOOTSTRAP_ADMIN = "admin";

/** Who did something, for the audit log: a principal (with the key it used) or the CLI. */
export interface Actor {
  id: string;
  keyId?: string;
}

/** An authenticated caller (see src/api/context.ts). */
export interface AuthenticatedPrincipal {
  principalId: string;
  kind: "tenant" | "verifier" | "admin";
  keyId: string;
}

export interface PrincipalView {
  id: string;
  kind: PrincipalKind;
  name: string;
  status: "active" | "disabled";
  createdAt: string;
  disabledAt: string | null;
}

export interface KeyView {
  id: string;
  principalId: string;
  label: string | null;
  status: "active" | "revoked" | "expired";
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface DisclosureView {
  id: string;
  tenantId: string;
  caseId: string;
  verifierId: string;
  status: "active" | "revoked" | "expired";
  grantedBy: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

export interface AccessDeps {
  db: Db;
  log: Logger;
  now?: () => Date;
  /**
   * Keep keys found by authenticate() in memory instead of reading them on every request.
   * Revoking or disabling through this object drops the entry at once. `true`: kept until
   * then, which is only correct when this process is the database's only writer, as with the
   * embedded database (one process per data directory, see src/store/data-dir-lock.ts).
   * `{ ttlMs }`: read again once older than that, the bound on how long a key revoked by
   * another instance or the CLI still works here (KEY_CACHE_MS on PostgreSQL).
   */
  cacheKeys?: boolean | { ttlMs: number };
}

type FoundKey = NonNullable<Awaited<ReturnType<typeof findKeyForAuth>>>;
const KEY_CACHE_MAX = 10_000;

// Bootstrap must happen once even when several processes start on one empty database.
const BOOTSTRAP_LOCK = sql`select pg_advisory_xact_lock(727318010)`;
// A key's last use is recorded at most this often: a write per request would double the
// cost of every read, and "used in the last minute" is all rotation needs to know.
const TOUCH_EVERY_MS = 60_000;
// Compared against when the key id is unknown, so that answer takes as long as a wrong secret.
const DUMMY_HASH = hashKey("evk_unknown");

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export class AccessService {
  readonly #deps: AccessDeps;
  readonly #touched = new Map<string, number>();
  /** Keys found, with when they were read (see AccessDeps.cacheKeys). */
  readonly #keys = new Map<string, { found: FoundKey; at: number }>();
  // Bumped by every invalidation: a lookup that started before one must not cache its row.
  #generation = 0;

  constructor(deps: AccessDeps) {
    this.#deps = deps;
  }

  #now(): Date {
    return (this.#deps.now ?? (() => new Date()))();
  }

  /**
   * The caller a bearer token belongs to, or null: malformed, unknown, wrong secret,
   * revoked, expired, or its principal disabled all look the same from outside.
   */
  async authenticate(token: string): Promise<AuthenticatedPrincipal | null> {
    const keyId = parseKey(token);
    if (keyId === undefined) return null;
    const found = await this.#findKey(keyId);
    if (!found) {
      keyMatches(token, DUMMY_HASH);
      return null;
    }
    const { key, principal } = found;
    const now = this.#now();
    if (!keyMatches(token, key.secretHash)) return null;
    if (keyStatus(key, now) !== "active" || principal.status !== "active" || principal.kind === "system") return null;
    this.#touch(key.id, now);
    return { principalId: principal.id, kind: principal.kind, keyId: key.id };
  }

  async #findKey(keyId: string): Promise<FoundKey | null> {
    const { cacheKeys } = this.#deps;
    if (!cacheKeys) return findKeyForAuth(this.#deps.db, keyId);
    const ttlMs = cacheKeys === true ? Infinity : cacheKeys.ttlMs;
    const cached = this.#keys.get(keyId);
    if (cached && this.#now().getTime() - cached.at < ttlMs) return cached.found;
    const generation = this.#generation;
    const at = this.#now().getTime();
    const found = await findKeyForAuth(this.#deps.db, keyId);
    // Unknown ids are not remembered: they cost an attacker a query, not our memory.
    if (found && generation === this.#generation) {
      if (this.#keys.size >= KEY_CACHE_MAX) this.#keys.clear();
      this.#keys.set(keyId, { found, at });
    } else this.#keys.delete(keyId);
    return found;
  }

  /** Drops cached keys (of one principal, or one key) after a change to them committed. */
  #forget(match: (k: FoundKey) => boolean): void {
    this.#generation++;
    for (const [id, k] of this.#keys) if (match(k.found)) this.#keys.delete(id);
  }

  #touch(keyId: string, now: Date): void {
    const last = this.#touched.get(keyId);
    if (last !== undefined && now.getTime() - last < TOUCH_EVERY_MS) return;
    if (this.#touched.size > 100_000) this.#touched.clear();
    this.#touched.set(keyId, now.getTime());
    touchKey(this.#deps.db, keyId, now).catch((err) => this.#deps.log.warn("recording a key's last use failed", errorFields(err)));
  }

  /**
   * Records a burst of failed authentications from one address in the audit log. Never
   * throws: a failing audit write must not turn a 401 into a 500.
   */
  async recordFailureBurst(address: string, burst: { failures: number; windowSeconds: number; keyIds: string[] }): Promise<void> {
    try {
      await appendAudit(this.#deps.db, { actor: "anonymous", action: "auth.failure-burst", target: address, details: burst });
    } catch (err) {
      this.#deps.log.error("recording a failed-authentication burst in the audit log failed", errorFields(err));
    }
  }

  /**
   * First start of an empty database: creates the system tenant and, when there is no admin
   * yet, the admin principal and one key for it. Returns that key (to be shown once) or
   * null when an admin already existed.
   */
  async bootstrap(): Promise<{ principalId: string; keyId: string; key: string } | null> {
    return this.#deps.db.transaction(async (tx) => {
      await tx.execute(BOOTSTRAP_LOCK);
      const at = this.#now();
      if (await insertPrincipal(tx, { id: SYSTEM_TENANT, kind: "system", name: "Evidence service (system tenant)", status: "active", createdAt: at })) {
        await appendAudit(tx, { actor: "bootstrap", action: "principal.created", target: SYSTEM_TENANT, details: { kind: "system" } }, at);
      }
      if ((await countPrincipals(tx, "admin")) > 0) return null;
      if (!(await insertPrincipal(tx, { id: BOOTSTRAP_ADMIN, kind: "admin", name: "Administrator (bootstrap)", status: "active", createdAt: at }))) {
        // "admin" is taken by a principal of another kind: nothing we may silently change.
        throw new Error(`cannot bootstrap: principal "${BOOTSTRAP_ADMIN}" exists but is not an admin`);
      }
      const k = generateKey();
      await insertKey(tx, { id: k.id, principalId: BOOTSTRAP_ADMIN, secretHash: k.hash, label: "bootstrap", createdAt: at, createdBy: "bootstrap" });
      await appendAudit(tx, { actor: "bootstrap", action: "bootstrap.admin-created", target: BOOTSTRAP_ADMIN, details: { keyId: k.id } }, at);
      return { principalId: BOOTSTRAP_ADMIN, keyId: k.id, key: k.key };
    });
  }

  async createPrincipal(actor: Actor, kind: "tenant" | "verifier" | "admin", input: { id: string; name: string }): Promise<PrincipalView> {
    return this.#deps.db.transaction(async (tx) => {
      const at = this.#now();
      if (!(await insertPrincipal(tx, { id: input.id, kind, name: input.name, status: "active", createdAt: at }))) {
        throw new ServiceError("conflict", `the id "${input.id}" is already taken`, {
          errors: [{ field: "/id", reason: "already taken" }],
        });
      }
      await appendAudit(tx, { actor: actor.id, action: "principal.created", target: input.id, details: { kind, name: input.name, ...via(actor) } }, at);
      return principalView((await getPrincipal(tx, input.id))!);
    });
  }

  async getPrincipal(kind: PrincipalKind, id: string): Promise<PrincipalView> {
    // Ids come from URLs: one that cannot exist must not reach a query (a NUL would fail it).
    if (!PRINCIPAL_ID_RE.test(id)) throw notFound(kind);
    const row = await getPrincipal(this.#deps.db, id, kind);
    if (!row) throw notFound(kind);
    return principalView(row);
  }

  async listPrincipals(kind: PrincipalKind, after: string | undefined, limit: number): Promise<{ items: PrincipalView[]; next: string | null }> {
    const rows = await listPrincipals(this.#deps.db, kind, { after, limit: limit + 1 });
    return pageOf(rows.map(principalView), limit, (p) => p.id);
  }

  async disablePrincipal(actor: Actor, kind: "tenant" | "verifier" | "admin", id: string): Promise<PrincipalView> {
    if (!PRINCIPAL_ID_RE.test(id)) throw notFound(kind);
    try {
      return await this.#disablePrincipal(actor, kind, id);
    } finally {
      this.#forget((k) => k.principal.id === id);
    }
  }

  async #disablePrincipal(actor: Actor, kind: "tenant" | "verifier" | "admin", id: string): Promise<PrincipalView> {
    return this.#deps.db.transaction(async (tx) => {
      const at = this.#now();
      const before = await getPrincipal(tx, id, kind);
      if (!before) throw notFound(kind);
      if (kind === "admin" && before.status === "active" && (await countPrincipals(tx, "admin", "active")) <= 1) {
        throw validationFailed([{ field: "id", reason: "the last active admin cannot be disabled" }]);
      }
      const row = (await disablePrincipal(tx, id, kind, at))!;
      if (before.status === "active") {
        await appendAudit(tx, { actor: actor.id, action: "principal.disabled", target: id, details: { kind, ...via(actor) } }, at);
      }
      return principalView(row);
    });
  }

  async createKey(
    actor: Actor,
    input: { principalId: string; label?: string | undefined; expiresAt?: Date | undefined },
  ): Promise<KeyView & { key: string }> {
    return this.#deps.db.transaction(async (tx) => {
      const at = this.#now();
      const principal = await getPrincipal(tx, input.principalId);
      if (!principal || principal.kind === "system") {
        throw validationFailed([{ field: "/principalId", reason: "no tenant, verifier or admin has this id" }]);
      }
      if (principal.status !== "active") {
        throw validationFailed([{ field: "/principalId", reason: "this principal is disabled" }]);
      }
      if (input.expiresAt && input.expiresAt <= at) {
        throw validationFailed([{ field: "/expiresAt", reason: "must be in the future" }]);
      }
      const k = generateKey();
      await insertKey(tx, {
        id: k.id,
        principalId: principal.id,
        secretHash: k.hash,
        label: input.label ?? null,
        createdAt: at,
        createdBy: actor.id,
        expiresAt: input.expiresAt ?? null,
      });
      await appendAudit(
        tx,
        {
          actor: actor.id,
          action: "key.created",
          target: k.id,
          details: { principalId: principal.id, expiresAt: iso(input.expiresAt ?? null), ...via(actor) },
        },
        at,
      );
      const row = (await getKey(tx, k.id))!;
      return { ...keyView(row, at), key: k.key };
    });
  }

  async listKeys(principalId: string | undefined, after: string | undefined, limit: number): Promise<{ items: KeyView[]; next: string | null }> {
    const now = this.#now();
    const rows = await listKeys(this.#deps.db, { principalId, after, limit: limit + 1 });
    return pageOf(
      rows.map((r) => keyView(r, now)),
      limit,
      (k) => k.id,
    );
  }

  async revokeKey(actor: Actor, id: string): Promise<KeyView> {
    if (!KEY_ID_RE.test(id)) throw notFound("key");
    try {
      return await this.#revokeKey(actor, id);
    } finally {
      this.#forget((k) => k.key.id === id);
    }
  }

  async #revokeKey(actor: Actor, id: string): Promise<KeyView> {
    return this.#deps.db.transaction(async (tx) => {
      const at = this.#now();
      const result = await revokeKey(tx, id, at);
      if (!result) throw notFound("key");
      if (result.revoked) {
        await appendAudit(tx, { actor: actor.id, action: "key.revoked", target: id, details: { principalId: result.row.principalId, ...via(actor) } }, at);
      }
      return keyView(result.row, at);
    });
  }

  /**
   * Discloses a case to a verifier. A tenant may disclose only its own cases: naming another
   * tenant is answered like naming one that does not exist.
   */
  async grantDisclosure(
    actor: Actor,
    scope: Scope,
    input: { tenantId?: string | undefined; caseId: string; verifierId: string; expiresAt?: Date | undefined },
  ): Promise<DisclosureView> {
    if (scope.role === "verifier") throw notFound("tenant");
    const tenantId = input.tenantId ?? (scope.role === "tenant" ? scope.tenantId : undefined);
    if (tenantId === undefined) throw validationFailed([{ field: "/tenantId", reason: "required" }]);
    if (scope.role === "tenant" && tenantId !== scope.tenantId) throw notFound("tenant");
    return this.#deps.db.transaction(async (tx) => {
      const at = this.#now();
      const tenant = await getPrincipal(tx, tenantId, "tenant");
      if (!tenant) throw notFound("tenant");
      const verifier = await getPrincipal(tx, input.verifierId, "verifier");
      if (!verifier) throw validationFailed([{ field: "/verifierId", reason: "no verifier has this id" }]);
      if (verifier.status !== "active") throw validationFailed([{ field: "/verifierId", reason: "this verifier is disabled" }]);
      if (input.expiresAt && input.expiresAt <= at) throw validationFailed([{ field: "/expiresAt", reason: "must be in the future" }]);
      const row = await insertDisclosure(tx, {
        id: randomUUID(),
        tenantId,
        caseId: input.caseId,
        verifierId: verifier.id,
        grantedBy: actor.id,
        createdAt: at,
        expiresAt: input.expiresAt ?? null,
      });
      await appendAudit(
        tx,
        {
          actor: actor.id,
          action: "disclosure.granted",
          target: row.id,
          details: { tenantId, caseId: input.caseId, verifierId: verifier.id, expiresAt: iso(row.expiresAt), ...via(actor) },
        },
        at,
      );
      return disclosureView(row, at);
    });
  }

  async getDisclosure(scope: Scope, id: string): Promise<DisclosureView> {
    if (!UUID_RE.test(id)) throw notFound("disclosure");
    const row = await getDisclosure(this.#deps.db, scope, id.toLowerCase());
    if (!row) throw notFound("disclosure");
    return disclosureView(row, this.#now());
  }

  async listDisclosures(scope: Scope, after: string | undefined, limit: number): Promise<{ items: DisclosureView[]; next: string | null }> {
    const now = this.#now();
    const rows = await listDisclosures(this.#deps.db, scope, { after, limit: limit + 1 });
    return pageOf(
      rows.map((r) => disclosureView(r, now)),
      limit,
      (d) => d.id,
    );
  }

  async revokeDisclosure(actor: Actor, scope: Scope, id: string): Promise<DisclosureView> {
    if (!UUID_RE.test(id) || scope.role === "verifier") throw notFound("disclosure");
    return this.#deps.db.transaction(async (tx) => {
      const at = this.#now();
      const result = await revokeDisclosure(tx, scope, id.toLowerCase(), actor.id, at);
      if (!result) throw notFound("disclosure");
      if (result.revoked) {
        const r = result.row;
        await appendAudit(
          tx,
          { actor: actor.id, action: "disclosure.revoked", target: r.id, details: { tenantId: r.tenantId, caseId: r.caseId, verifierId: r.verifierId, ...via(actor) } },
          at,
        );
      }
      return disclosureView(result.row, at);
    });
  }
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const via = (actor: Actor) => (actor.keyId ? { viaKey: actor.keyId } : {});



export function keyStatus(k: ApiKeyRow, now: Date): KeyView["status"] {
  if (k.revokedAt) return "revoked";
  if (k.expiresAt && k.expiresAt <= now) return "expired";
  return "active";
}

export function principalView(p: PrincipalRow): PrincipalView {
  return { id: p.id, kind: p.kind, name: p.name, status: p.status, createdAt: p.createdAt.toISOString(), disabledAt: iso(p.disabledAt) };
}

export function keyView(k: ApiKeyRow, now: Date): KeyView {
  return {
    id: k.id,
    principalId: k.principalId,
    label: k.label,
    status: keyStatus(k, now),
    createdAt: k.createdAt.toISOString(),
    createdBy: k.createdBy,
    expiresAt: iso(k.expiresAt),
    revokedAt: iso(k.revokedAt),
    lastUsedAt: iso(k.lastUsedAt),
  };
}

export function disclosureView(d: DisclosureRow, now: Date): DisclosureView {
  const status = d.revokedAt ? "revoked" : d.expiresAt && d.expiresAt <= now ? "expired" : "active";
  return {
    id: d.id,
    tenantId: d.tenantId,
    caseId: d.caseId,
    verifierId: d.verifierId,
    status,
    grantedBy: d.grantedBy,
    createdAt: d.createdAt.toISOString(),
    expiresAt: iso(d.expiresAt),
    revokedAt: iso(d.revokedAt),
    revokedBy: d.revokedBy,
  };
}
