// What a caller may see, as SQL. Every query that reads tenant data takes a Scope and adds
// its predicate here, so isolation is a property of the data layer, not of each route: a
// row outside the scope is simply not found, exactly like a row that does not exist.
import { and, eq, gt, isNull, or, sql, type SQL } from "drizzle-orm";
import { disclosures, evidence } from "./schema.ts";

export type Scope =
  /** Operators: every tenant's data. */
  | { role: "admin" }
  /** A platform: only what it submitted itself. */
  | { role: "tenant"; tenantId: string }
  /** A court or notary: only cases disclosed to it by a live disclosure at `now`. */
  | { role: "verifier"; verifierId: string; now: Date };

export const ADMIN_SCOPE: Scope = { role: "admin" };

/** Whether a disclosure row is live at `now`: not revoked and not expired. */
export function liveDisclosure(now: Date): SQL {
  return and(isNull(disclosures.revokedAt), or(isNull(disclosures.expiresAt), gt(disclosures.expiresAt, now)))!;
}

/** Predicate on the `evidence` table: the rows `scope` may read (undefined: all rows). */
export function evidenceVisible(scope: Scope): SQL | undefined {
  switch (scope.role) {
    case "admin":
      return undefined;
    case "tenant":
      return eq(evidence.submitter, scope.tenantId);
    case "verifier":
      return sql`exists (select 1 from ${disclosures}
        where ${disclosures.verifierId} = ${scope.verifierId}
          and ${disclosures.tenantId} = ${evidence.submitter}
          and ${disclosures.caseId} = ${evidence.caseId}
          and ${liveDisclosure(scope.now)})`;
  }
}

/** Predicate on the `disclosures` table: the disclosures `scope` may read. */
export function disclosureVisible(scope: Scope): SQL | undefined {
  switch (scope.role) {
    case "admin":
      return undefined;
    case "tenant":
      return eq(disclosures.tenantId, scope.tenantId);
    case "verifier":
      return eq(disclosures.verifierId, scope.verifierId);
  }
}
