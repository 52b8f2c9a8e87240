#!/usr/bin/env bash
# Verifies an evidence-proof/v1 bundle with standard tools only (jq, xxd, openssl, curl), step
# by step as docs/verifying.md ("By hand") explains: no code of ours is involved, which is the
# point. Usage: scripts/verify-by-hand.sh proof.json [document] [rpc-url]
# Exit 0 when every step it ran passed, 1 when one failed, 2 on a usage error.
# Limits: meta is canonicalised with `jq -cS`, which equals RFC 8785 JCS for string-only
# objects without control characters (what our service produces); sm3 needs an openssl built with it.
set -euo pipefail
[ $# -ge 1 ] && [ $# -le 3 ] || { echo "usage: $0 proof.json [document] [rpc-url]" >&2; exit 2; }
proof=$1 doc=${2:-} rpc=${3:-}
[ -r "$proof" ] || { echo "cannot read $proof" >&2; exit 2; }
jq -e 'type == "object"' "$proof" >/dev/null 2>&1 || { echo "✗ format: not a JSON object"; exit 1; }

ok() { echo "✓ $1"; }
fail() { echo "✗ $1"; exit 1; }
get() { jq -r "$1" "$proof"; }
sha256_hex() { xxd -r -p | openssl dgst -sha256 -binary | xxd -p -c 64; } # hex in, hex out
node() { printf '01%s%s' "$1" "$2" | sha256_hex; }                        # RFC 6962 interior node

# 1. format
[ "$(get .format)" = "evidence-proof/v1" ] || fail "format: not evidence-proof/v1"
ok "format: evidence-proof/v1"
digest=$(get .evidence.digest) salt=$(get .evidence.salt)

# The document: hashed with the algorithm the proof names, compared with evidence.digest.
if [ -n "$doc" ]; then
  alg=$(get .evidence.meta.hashAlg)
  have=0x$(openssl dgst "-$alg" -r "$doc" | cut -c1-64)
  [ "$have" = "$digest" ] || fail "document: its $alg is $have, the proof is about $digest"
  ok "document: $alg of $doc is $digest"
fi
[ "$(get .anchor)" != null ] || fail "not anchored yet: fetch the proof again later"

# 2. leaf = SHA-256(0x00 || salt || digest || SHA-256(JCS(meta)))
meta_digest=$(jq -cjS .evidence.meta "$proof" | openssl dgst -sha256 -r | cut -c1-64)
leaf=$(printf '00%s%s%s' "${salt#0x}" "${digest#0x}" "$meta_digest" | sha256_hex)
[ "0x$leaf" = "$(get .leaf.hash)" ] || fail "leaf: recomputed 0x$leaf, the proof says $(get .leaf.hash)"
ok "leaf: 0x$leaf"

# 3. root from the inclusion path (RFC 9162 section 2.1.3.2)
fn=$(get .leaf.index) sn=$(( $(get .batch.size) - 1 )) r=$leaf
[ "$fn" -le "$sn" ] || fail "root: leaf.index is not below batch.size"
for p in $(get '.batch.path[]'); do
  p=${p#0x}
  [ "$sn" -gt 0 ] || fail "root: the path is longer than the tree is deep"
  if (( (fn & 1) == 1 || fn == sn )); then
    r=$(node "$p" "$r")
    if (( (fn & 1) == 0 )); then while (( (fn & 1) == 0 && fn != 0 )); do fn=$((fn >> 1)) sn=$((sn >> 1)); done; fi
  else
    r=$(node "$r" "$p")
  fi
  fn=$((fn >> 1)) sn=$((sn >> 1))
done
root=$(get .batch.root)
[ "$sn" -eq 0 ] || fail "root: the path is shorter than the tree is deep"
[ "0x$r" = "$root" ] || fail "root: the path leads to 0x$r, not $root"
ok "root: $root"

[ -n "$rpc" ] || { echo "– the anchor was NOT checked on the chain: give an RPC URL to check it"; exit 0; }

# 4-6. the chain, through plain JSON-RPC
call() { curl -sS --fail -H 'content-type: application/json' --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$rpc" | jq -r "$3"; }
lower() { tr 'A-F' 'a-f'; }
hexnum() { printf '0x%x' "$1"; }
chain=$(get .anchor.chainId) contract=$(get .anchor.contract) tx=$(get .anchor.txHash)
number=$(get .anchor.blockNumber) bhash=$(get .anchor.blockHash) btime=$(get .anchor.blockTimestamp)

[ $(( $(call eth_chainId '[]' .result) )) -eq "$chain" ] || fail "chain: the node does not serve chain $chain"
ok "chain: $chain"
receipt=$(curl -sS --fail -H 'content-type: application/json' --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getTransactionReceipt\",\"params\":[\"$tx\"]}" "$rpc")
[ "$(jq -r .result.status <<<"$receipt")" = 0x1 ] || fail "transaction: $tx not found or not successful"
[ "$(jq -r .result.to <<<"$receipt" | lower)" = "$contract" ] || fail "transaction: not sent to $contract"
[ "$(jq -r .result.blockNumber <<<"$receipt")" = "$(hexnum "$number")" ] || fail "transaction: not in block $number"
ok "transaction: $tx succeeded in block $number"
block=$(call eth_getBlockByNumber "[\"$(hexnum "$number")\",false]" '.result | "\(.hash) \(.timestamp)"')
[ "$block" = "$bhash $(hexnum "$btime")" ] || fail "block: block $number is \"$block\", the proof says $bhash at $btime"
ok "block: $number has hash $bhash and timestamp $btime ($(date -u -d "@$btime" +%FT%TZ))"
jq -e --arg c "$contract" --arg r "$root" --arg w "${root#0x}" \
  '[.result.logs[] | select((.address | ascii_downcase) == $c) | select((.topics | map(ascii_downcase) | index($r)) or ((.data | ascii_downcase) | test($w)))] | length > 0' \
  <<<"$receipt" >/dev/null || fail "log: no log from $contract carries $root"
ok "log: the contract logged $root"
words=$(call eth_call "[{\"to\":\"$contract\",\"data\":\"0xcf4ff901${root#0x}\"},\"latest\"]" .result)
words=${words#0x}
(( 16#${words:0:64} == 1 && 16#${words:128:64} == $(get .batch.size) && 16#${words:192:64} == number )) ||
  fail "contract: anchorOf($root) does not record size $(get .batch.size) in block $number"
ok "contract: anchorOf records size $(get .batch.size) in block $number"
latest=$(( $(call eth_blockNumber '[]' .result) ))
ok "confirmations: $((latest - number + 1))"
