#!/usr/bin/env python3
"""Independent verifier of evidence-proof/v1 bundles, written from specs/proof-format-v1.md alone.

It shares no code with the TypeScript project and uses only the Python 3 standard library, so
that agreement between the two is evidence that the spec page is sufficient to verify a proof.

Usage: python3 verify_bundle.py BUNDLE.json [--rpc URL]

Prints one line per verification step. Exit status: 0 when every step that ran passed (without
--rpc only steps 1-3 run; with --rpc the bundle must also be anchored), 1 when a step failed,
2 on a usage error.
"""
import hashlib
import json
import re
import sys
import urllib.request

FORMAT = "evidence-proof/v1"
HASH_ALGS = ("sha256", "sha3-256", "sm3")
# keccak256("anchorOf(bytes32)")[:4]. The standard library has no Keccak-256 (hashlib's
# sha3_256 uses different padding), so the selector is hard-coded; a TypeScript test
# recomputes it with @noble/hashes and reads it back from this file.
ANCHOR_OF_SELECTOR = "cf4ff901"

USAGE = "usage: python3 verify_bundle.py BUNDLE.json [--rpc URL]"
HEX32 = re.compile(r"^0x[0-9a-f]{64}$")
HEX20 = re.compile(r"^0x[0-9a-f]{40}$")
RFC3339 = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)


class Invalid(Exception):
    """A step failed; the message says why."""


# ---------------------------------------------------------------- step 1: format

def is_int(v):
    # JSON numbers: Python parses 3.0 as a float; an integral value is still the integer 3.
    if isinstance(v, bool):
        return False
    if isinstance(v, float):
        return v.is_integer() and 0 <= v < 2**53
    return isinstance(v, int) and 0 <= v < 2**53


def need(obj, key, where):
    if not isinstance(obj, dict) or key not in obj:
        raise Invalid(f"{where}/{key} is missing")
    return obj[key]


def need_hex(obj, key, where, pattern=HEX32):
    v = need(obj, key, where)
    if not isinstance(v, str) or not pattern.match(v):
        raise Invalid(f"{where}/{key} is not 0x-prefixed lowercase hex of the right length")
    return v


def need_int(obj, key, where, minimum=0):
    v = need(obj, key, where)
    if not is_int(v) or v < minimum:
        raise Invalid(f"{where}/{key} is not an integer >= {minimum} below 2^53")
    obj[key] = int(v)  # 12.0 -> 12, so later steps compute with integers
    return obj[key]


def need_object_or_null(obj, key, where):
    v = need(obj, key, where)
    if v is not None and not isinstance(v, dict):
        raise Invalid(f"{where}/{key} is neither an object nor null")
    return v


def utf8_ok(s):
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape
        return False


def check_format(b):
    if not isinstance(b, dict):
        raise Invalid("the bundle is not a JSON object")
    if b.get("format") != FORMAT:
        raise Invalid(f"format is {b.get('format')!r}, not {FORMAT!r}")
    ev = need(b, "evidence", "")
    if not isinstance(ev, dict):
        raise Invalid("/evidence is not an object")
    if not isinstance(need(ev, "id", "/evidence"), str):
        raise Invalid("/evidence/id is not a string")
    need_hex(ev, "digest", "/evidence")
    need_hex(ev, "salt", "/evidence")
    received = need(ev, "receivedAt", "/evidence")
    if not isinstance(received, str) or not RFC3339.match(received) or received[-1] not in "Zz":
        raise Invalid("/evidence/receivedAt is not an RFC 3339 UTC time")
    meta = need(ev, "meta", "/evidence")
    if not isinstance(meta, dict):
        raise Invalid("/evidence/meta is not an object")
    for k, v in meta.items():
        if not isinstance(v, str):
            raise Invalid(f"/evidence/meta/{k} is not a string")
        if not utf8_ok(k) or not utf8_ok(v):
            raise Invalid(f"/evidence/meta/{k} is not valid Unicode")
    if meta.get("hashAlg") not in HASH_ALGS:
        raise Invalid(f"/evidence/meta/hashAlg is not one of {', '.join(HASH_ALGS)}")
    if not meta.get("submitter"):
        raise Invalid("/evidence/meta/submitter is missing or empty")
    if "occurredAt" in meta and not RFC3339.match(meta["occurredAt"]):
        raise Invalid("/evidence/meta/occurredAt is not an RFC 3339 time")
    if "prev" in meta and not HEX32.match(meta["prev"]):
        raise Invalid("/evidence/meta/prev is not a leaf hash")

    leaf = need_object_or_null(b, "leaf", "")
    batch = need_object_or_null(b, "batch", "")
    anchor = need_object_or_null(b, "anchor", "")
    if leaf is not None:
        need_int(leaf, "index", "/leaf")
        need_hex(leaf, "hash", "/leaf")
    if batch is not None:
        need_int(batch, "seq", "/batch")
        need_int(batch, "size", "/batch")
        need_hex(batch, "root", "/batch")
        path = need(batch, "path", "/batch")
        if not isinstance(path, list) or not all(isinstance(p, str) and HEX32.match(p) for p in path):
            raise Invalid("/batch/path is not a list of 32-byte lowercase hex strings")
    if anchor is not None:
        need_int(anchor, "chainId", "/anchor", 1)
        need_hex(anchor, "contract", "/anchor", HEX20)
        need_hex(anchor, "txHash", "/anchor")
        need_int(anchor, "blockNumber", "/anchor")
        need_hex(anchor, "blockHash", "/anchor")
        need_int(anchor, "blockTimestamp", "/anchor")
    # The leaf's index only means something within a batch; an anchor anchors a batch.
    if (leaf is None) != (batch is None):
        raise Invalid("leaf and batch must both be set or both be null")
    if anchor is not None and batch is None:
        raise Invalid("an anchored bundle must have its leaf and batch")
    return f"format {FORMAT}"


# ---------------------------------------------------------------- step 2: leaf

def jcs_string(s):
    """A JSON string literal as RFC 8785 (ECMAScript JSON.stringify) writes it."""
    short = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    out = []
    for ch in s:
        if ch in short:
            out.append(short[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def jcs_string_object(obj):
    """RFC 8785 for an object whose values are all strings: keys sorted by UTF-16 code units."""
    keys = sorted(obj, key=lambda k: k.encode("utf-16-be"))
    return "{" + ",".join(jcs_string(k) + ":" + jcs_string(obj[k]) for k in keys) + "}"


def b(hexstr):
    return bytes.fromhex(hexstr[2:])


def check_leaf(bundle):
    ev = bundle["evidence"]
    meta_digest = hashlib.sha256(jcs_string_object(ev["meta"]).encode("utf-8")).digest()
    leaf = hashlib.sha256(b"\x00" + b(ev["salt"]) + b(ev["digest"]) + meta_digest).hexdigest()
    if "0x" + leaf != bundle["leaf"]["hash"]:
        raise Invalid(f"recomputed leaf hash 0x{leaf} differs from leaf.hash {bundle['leaf']['hash']}")
    return f"leaf hash 0x{leaf} recomputed (metaDigest 0x{meta_digest.hex()})"


# ---------------------------------------------------------------- step 3: root (RFC 9162 2.1.3.2)

def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_path(index, size, leaf_hash, path):
    if index >= size:
        raise Invalid(f"leaf.index {index} is not below batch.size {size}")
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    if len(path) != inner + border:
        raise Invalid(f"the path has {len(path)} hashes, RFC 9162 implies {inner + border}")
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            raise Invalid("the path is too long")
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Invalid("the path is too short")
    return r


def check_root(bundle):
    leaf, batch = bundle["leaf"], bundle["batch"]
    index, size = leaf["index"], batch["size"]
    root = root_from_path(index, size, b(leaf["hash"]), [b(p) for p in batch["path"]])
    if "0x" + root.hex() != batch["root"]:
        raise Invalid(f"the path leads to 0x{root.hex()}, not batch.root {batch['root']}")
    return f"leaf {index} of {size} leads to root {batch['root']}"


# ---------------------------------------------------------------- steps 4-6: chain

class Rpc:
    def __init__(self, url):
        self.url = url
        self.next_id = 1

    def __call__(self, method, *params):
        body = json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": list(params)}).encode()
        self.next_id += 1
        req = urllib.request.Request(self.url, data=body, headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                reply = json.load(res)
        except Exception as e:  # network, HTTP status, bad JSON: all make the step fail
            raise Invalid(f"{method} failed: {e}")
        if reply.get("error") is not None:
            raise Invalid(f"{method} failed: {reply['error']}")
        return reply.get("result")


def q(v):
    return int(v, 16)


def check_chain(bundle, rpc):
    anchor, root = bundle["anchor"], bundle["batch"]["root"]
    contract = anchor["contract"]
    chain_id = q(rpc("eth_chainId"))
    if chain_id != anchor["chainId"]:
        raise Invalid(f"the RPC endpoint serves chain {chain_id}, not {anchor['chainId']}")
    tx = rpc("eth_getTransactionByHash", anchor["txHash"])
    receipt = rpc("eth_getTransactionReceipt", anchor["txHash"])
    if tx is None or receipt is None:
        raise Invalid(f"transaction {anchor['txHash']} not found (or not mined)")
    if q(receipt["status"]) != 1:
        raise Invalid("the transaction did not succeed")
    if (tx.get("to") or "").lower() != contract:
        raise Invalid(f"the transaction was sent to {tx.get('to')}, not {contract}")
    if tx.get("blockNumber") is None or q(tx["blockNumber"]) != anchor["blockNumber"] or q(receipt["blockNumber"]) != anchor["blockNumber"]:
        raise Invalid(f"the transaction is not in block {anchor['blockNumber']}")
    block = rpc("eth_getBlockByNumber", hex(anchor["blockNumber"]), False)
    if block is None:
        raise Invalid(f"block {anchor['blockNumber']} not found")
    if block["hash"].lower() != anchor["blockHash"]:
        raise Invalid(f"block {anchor['blockNumber']} has hash {block['hash']}, not {anchor['blockHash']}")
    if q(block["timestamp"]) != anchor["blockTimestamp"]:
        raise Invalid(f"block {anchor['blockNumber']} has timestamp {q(block['timestamp'])}, not {anchor['blockTimestamp']}")
    word = root[2:]
    for log in receipt["logs"]:
        if log["address"].lower() != contract:
            continue
        data = log["data"][2:].lower()
        words = [data[i:i + 64] for i in range(0, len(data) - 63, 64)]
        if word in [t.lower()[2:] for t in log["topics"]] or word in words:
            return f"transaction succeeded in block {anchor['blockNumber']} ({anchor['blockHash']}), its log carries the root"
    raise Invalid(f"no log from {contract} carries the root {root}")


def check_contract(bundle, rpc):
    anchor, batch = bundle["anchor"], bundle["batch"]
    result = rpc("eth_call", {"to": anchor["contract"], "data": "0x" + ANCHOR_OF_SELECTOR + batch["root"][2:]}, "latest")
    data = (result or "0x")[2:]
    if len(data) < 5 * 64:
        raise Invalid(f"anchorOf returned {len(data) // 2} bytes, want 160")
    anchored, seq, size, block_number, timestamp = (int(data[i * 64:(i + 1) * 64], 16) for i in range(5))
    if anchored != 1:
        raise Invalid("the contract has no record of the root")
    if size != batch["size"] or block_number != anchor["blockNumber"]:
        raise Invalid(f"the contract records size {size} in block {block_number}")
    return f"the contract records the root: seq {seq}, size {size}, block {block_number}, timestamp {timestamp}"


def confirmations(bundle, rpc):
    latest = q(rpc("eth_blockNumber"))
    n = latest - bundle["anchor"]["blockNumber"] + 1
    if n < 1:
        raise Invalid(f"the latest block {latest} is before the anchor block")
    return f"{n} confirmation(s)"


# ---------------------------------------------------------------- main

def main(argv):
    args = argv[1:]
    rpc_url = None
    if "--rpc" in args:
        i = args.index("--rpc")
        if i + 1 >= len(args):
            print(USAGE, file=sys.stderr)
            return 2
        rpc_url = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1 or args[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        with open(args[0], "rb") as f:
            raw = f.read()
    except OSError as e:
        print(f"cannot read {args[0]}: {e}", file=sys.stderr)
        return 2

    failed = False
    skipped = False

    def step(n, name, fn, *a):
        nonlocal failed
        try:
            print(f"step {n} {name}: OK {fn(*a)}")
            return True
        except Invalid as e:
            print(f"step {n} {name}: FAIL {e}")
            failed = True
            return False

    def skip(n, name, why):
        nonlocal skipped
        print(f"step {n} {name}: SKIP {why}")
        skipped = True

    def reject_constant(c):
        raise ValueError(f"{c} is not JSON")

    try:
        bundle = json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError) as e:
        print(f"step 1 format: FAIL not JSON: {e}")
        return 1
    if not step(1, "format", check_format, bundle):
        return 1
    if bundle["leaf"] is None:
        skip(2, "leaf", "the evidence is not in a batch yet")
        skip(3, "root", "the evidence is not in a batch yet")
    else:
        step(2, "leaf", check_leaf, bundle)
        step(3, "root", check_root, bundle)
    if bundle["anchor"] is None:
        for n, name in ((4, "chain"), (5, "contract")):
            skip(n, name, "the batch is not anchored yet")
    elif rpc_url is None:
        for n, name in ((4, "chain"), (5, "contract")):
            print(f"step {n} {name}: SKIP no --rpc given (offline verification)")
    else:
        rpc = Rpc(rpc_url)
        if step(4, "chain", check_chain, bundle, rpc):
            step(5, "contract", check_contract, bundle, rpc)
            step(6, "confirmations", confirmations, bundle, rpc)
        else:
            skip(5, "contract", "step 4 failed")
    if failed:
        return 1
    # Online, an unanchored bundle proves nothing yet; offline, only steps 1-3 are promised.
    return 1 if rpc_url is not None and skipped else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
