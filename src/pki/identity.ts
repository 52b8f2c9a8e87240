// The service's X.509 identity: a certificate and key for RFC 3161 time-stamps and one for
// document (PDF) signatures, each configured (a PEM chain from a real CA and its key) or, when
// not, issued on first start under a self-issued root CA kept in the data dir like the
// Ed25519 key, and the CA certificates to publish (/.well-known/evidence-ca.pem).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { x509 } from "./x509.ts";
import { issueLeaf, issueRootCa, parsePemChain, toPem, unusableReason, type IdentityName, type LeafRole } from "./certs.ts";
import { generatePkiKey, importPrivateKeyPem, privateKeyPem, type PkiKey } from "./keys.ts";

/** A certificate with its private key, and the rest of its chain. */
export interface CertifiedKey {
  cert: x509.X509Certificate;
  /** The certificates above `cert`, nearest first (the issuing CA; the root when it is known). */
  chain: x509.X509Certificate[];
  key: PkiKey;
  /** "configured": from TSA_CERT_FILE / SIGNING_CERT_FILE; "self-issued": under our own root. */
  source: "configured" | "self-issued";
  /** The files it was read from. */
  certFile: string;
  keyFile: string;
}

export interface PkiIdentity {
  tsa: CertifiedKey;
  document: CertifiedKey;
  /** The self-issued root, when anything was issued under it. */
  root: x509.X509Certificate | null;
  /** What /.well-known/evidence-ca.pem serves: the CA certificates of both chains, without repeats. */
  caPem: string;
}

export interface IdentityOptions {
  /** Where self-issued keys and certificates live: DATA_DIR/pki. */
  dir: string;
  name: IdentityName;
  /** A configured TSA certificate chain (the TSA certificate first) and its key. */
  tsa?: { certFile: string; keyFile: string } | undefined;
  /** A configured document-signing certificate chain and its key. */
  document?: { certFile: string; keyFile: string } | undefined;
  now?: Date;
}

/** The files of the self-issued identity inside `dir`. */
export const PKI_FILES = {
  root: { cert: "root-ca.pem", key: "root-ca-key.pem" },
  tsa: { cert: "tsa.pem", key: "tsa-key.pem" },
  document: { cert: "document-signing.pem", key: "document-signing-key.pem" },
} as const;

/**
 * Loads the identity, issuing what is missing. A configured file that is missing, unreadable,
 * or holds a certificate that does not fit (wrong key, expired, a TSA without the critical
 * timeStamping EKU) is an error naming the file and why: the service must not start with an
 * identity it cannot sign under.
 */
export async function loadIdentity(opts: IdentityOptions): Promise<PkiIdentity> {
  const now = opts.now ?? new Date();
  let root: { cert: x509.X509Certificate; key: PkiKey } | undefined;
  const rootCa = async () => (root ??= await loadOrCreateRoot(opts.dir, opts.name, now));

  const leaf = async (role: LeafRole, configured: { certFile: string; keyFile: string } | undefined): Promise<CertifiedKey> => {
    if (configured) return loadConfigured(role, configured.certFile, configured.keyFile, now);
    const files = PKI_FILES[role];
    const certFile = join(opts.dir, files.cert);
    const keyFile = join(opts.dir, files.key);
    const ca = await rootCa();
    if (existsSync(certFile) && existsSync(keyFile)) {
      const loaded = await loadConfigured(role, certFile, keyFile, now);
      // Kept only while our root still vouches for it (a restored or replaced root does not).
      if (await loaded.cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true })) {
        return { ...loaded, chain: [ca.cert], source: "self-issued" };
      }
    }
    const key = await generatePkiKey();
    const cert = await issueLeaf(role, key, ca, opts.name, now);
    // The key first: a certificate without its key would be a file we cannot use on restart.
    writeSecret(keyFile, await privateKeyPem(key));
    writeFileSync(certFile, toPem([cert]), { flag: "w" });
    return { cert, chain: [ca.cert], key, source: "self-issued", certFile, keyFile };
  };

  const tsa = await leaf("tsa", opts.tsa);
  const document = await leaf("document", opts.document);
  const cas = new Map<string, x509.X509Certificate>();
  for (const c of [...(root ? [root.cert] : []), ...tsa.chain, ...document.chain]) cas.set(c.toString("hex"), c);
  return { tsa, document, root: root?.cert ?? null, caPem: cas.size === 0 ? "" : toPem([...cas.values()]) };
}

async function loadConfigured(role: LeafRole, certFile: string, keyFile: string, now: Date): Promise<CertifiedKey> {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch (err) {
      throw new Error(`the ${what} file ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const [cert, ...chain] = parsePemChain(read(certFile, "certificate"), certFile);
  const key = await importPrivateKeyPem(read(keyFile, "key"), keyFile);
  const reason = unusableReason(role, cert!, key, now);
  if (reason) throw new Error(`${certFile}: ${reason}`);
  return { cert: cert!, chain, key, source: "configured", certFile, keyFile };
}

async function loadOrCreateRoot(dir: string, name: IdentityName, now: Date): Promise<{ cert: x509.X509Certificate; key: PkiKey }> {
  const certFile = join(dir, PKI_FILES.root.cert);
  const keyFile = join(dir, PKI_FILES.root.key);
  if (existsSync(certFile) && existsSync(keyFile)) {
    const [cert] = parsePemChain(readFileSync(certFile, "utf8"), certFile);
    const key = await importPrivateKeyPem(readFileSync(keyFile), keyFile);
    return { cert: cert!, key };
  }
  if (existsSync(certFile) !== existsSync(keyFile)) {
    // Half a CA: issuing a new root would silently orphan every certificate under the old one.
    throw new Error(`${dir} holds only one of ${PKI_FILES.root.cert} and ${PKI_FILES.root.key}: restore the other, or remove both to issue a new CA`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = await generatePkiKey();
  const cert = await issueRootCa(key, name, now);
  writeSecret(keyFile, await privateKeyPem(key));
  writeFileSync(certFile, toPem([cert]));
  return { cert, key };
}

function writeSecret(path: string, pem: string): void {
  writeFileSync(path, pem, { mode: 0o600 });
  chmodSync(path, 0o600); // mode applies only to a new file
}
