// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/**
 * @title EvidenceAnchor
 * @notice Public, append-only registry of the Merkle roots of evidence batches.
 *
 * @dev Each batch of evidence items is committed to by the RFC 6962 / RFC 9162 Merkle tree
 * hash of its leaf hashes (see `evidence-proof/v1`). Anchoring a root records, in a single
 * storage slot, its sequence number, the number of leaves of its tree and the block in which
 * it was anchored, so that anyone with read access to the chain can later show that a leaf
 * existed no later than that block.
 *
 * All anchored roots are also folded into a SHA-256 hash chain:
 *
 *     head_0     = bytes32(0)
 *     head_{n+1} = sha256(head_n || root_n || uint64(size_n))    (72 bytes, big-endian size)
 *
 * Every {Anchored} event carries the new head, so that an off-chain copy of the history
 * which drops or reorders a batch no longer reproduces the published heads.
 *
 * The roots in anchoring order are not kept in storage: every {Anchored} event carries
 * root, seq, size and head, so the contract's logs (`eth_getLogs` for its address and the
 * event's topic, from the deployment block) list them, and replaying them reproduces {head}.
 * Storage holds only what a contract call must answer: the record of each root ({anchorOf}),
 * the number of roots ({count}) and the head ({head}). Anchoring one root therefore writes
 * one new storage slot and updates two existing ones; see docs/anchoring.md, "Gas".
 *
 * Inclusion proofs are checked with the algorithm of RFC 9162 section 2.1.3.2 over SHA-256
 * (interior node = sha256(0x01 || left || right)), the same one every off-chain verifier uses.
 *
 * One account, the {anchorer}, may anchor. The {owner} (an {Ownable2Step} owner: ownership
 * moves only when the new owner accepts it) replaces it with {setAnchorer}, which takes
 * effect at once: a transaction of the previous anchorer mined afterwards reverts and stores
 * nothing. Setting the zero address stops all anchoring. Renouncing ownership fixes the
 * anchorer for good, also if its key is ever lost or leaked.
 */
contract EvidenceAnchor is Ownable2Step {
    /**
     * @dev What is known about an anchored root. Four uint64 fields, one storage slot.
     * A root is anchored iff `timestamp != 0` (no block of a live chain has timestamp 0).
     */
    struct Record {
        uint64 seq;
        uint64 size;
        uint64 blockNumber;
        uint64 timestamp;
    }

    /**
     * @dev Who may anchor, and how many roots were anchored: one storage slot, which every
     * anchoring call reads (the access check) and writes (the count). Sharing it makes the
     * access check free of a storage read of its own, and keeps the slot non-zero while an
     * anchorer is set, so that counting the first root costs no zero-to-non-zero write.
     */
    struct Anchoring {
        address anchorer;
        uint64 count;
    }

    /// @dev Records by root.
    mapping(bytes32 root => Record) private _records;

    /// @dev The anchorer and the number of anchored roots (the sequence number of the next one).
    Anchoring private _anchoring;

    /// @dev Head of the hash chain over all anchored roots; zero before the first anchor.
    bytes32 private _head;

    /**
     * @notice Emitted when `root`, the Merkle root of a batch of `size` leaves, was anchored
     * with sequence number `seq`.
     * @param root The Merkle tree hash of the batch.
     * @param seq The zero-based sequence number given to `root`.
     * @param size The number of leaves of the tree whose hash is `root`.
     * @param head The head of the hash chain after `root` was appended to it.
     */
    event Anchored(bytes32 indexed root, uint64 indexed seq, uint64 size, bytes32 head);

    /**
     * @notice Emitted when the account allowed to anchor changed from `previousAnchorer` to
     * `newAnchorer` (either may be the zero address: nobody).
     */
    event AnchorerChanged(address indexed previousAnchorer, address indexed newAnchorer);

    /**
     * @notice `account` is not the {anchorer} and may not anchor.
     * @param account The caller.
     */
    error EvidenceAnchorUnauthorizedAccount(address account);

    /// @notice The root to anchor is zero.
    error EvidenceAnchorZeroRoot();

    /// @notice The size of the tree to anchor is zero (an empty batch is never anchored).
    error EvidenceAnchorZeroSize();

    /**
     * @notice `root` was already anchored.
     * @param root The root that was given.
     * @param seq The sequence number `root` was anchored with.
     */
    error EvidenceAnchorAlreadyAnchored(bytes32 root, uint64 seq);

    /**
     * @notice `root` has not been anchored.
     * @param root The root that was given.
     */
    error EvidenceAnchorNotAnchored(bytes32 root);

    /**
     * @notice An inclusion proof has the wrong shape: `size` is zero, `index` is not below
     * `size`, or `pathLength` is not the path length RFC 9162 implies for `index` and `size`.
     * @param index The leaf index that was given.
     * @param size The tree size that was given.
     * @param pathLength The number of path elements that were given.
     */
    error EvidenceAnchorInvalidProof(uint256 index, uint256 size, uint256 pathLength);

    /**
     * @notice {anchorMany} was given no roots, or a different number of roots and sizes.
     * @param roots The number of roots that was given.
     * @param sizes The number of sizes that was given.
     */
    error EvidenceAnchorLengthMismatch(uint256 roots, uint256 sizes);

    /**
     * @notice Makes `initialOwner` the {owner} and `initialAnchorer` the {anchorer}.
     * @dev `initialAnchorer` may be the zero address, in which case nobody may anchor until
     * the owner calls {setAnchorer}.
     *
     * Requirements:
     *
     * - `initialOwner` must not be the zero address ({OwnableInvalidOwner}).
     *
     * @param initialOwner The account that sets the anchorer.
     * @param initialAnchorer The first account allowed to anchor, or the zero address for none.
     */
    constructor(address initialOwner, address initialAnchorer) Ownable(initialOwner) {
        if (initialAnchorer != address(0)) _setAnchorer(initialAnchorer);
    }

    /**
     * @notice Makes `newAnchorer` the only account allowed to anchor, from this transaction
     * on; the zero address stops all anchoring. Emits {AnchorerChanged}.
     * @dev This is how the anchoring key is rotated or revoked. A transaction the previous
     * anchorer signed and that is mined afterwards reverts with
     * {EvidenceAnchorUnauthorizedAccount} and records nothing; let the service's transactions
     * in flight be mined first (docs/anchoring.md, "Gas").
     *
     * Requirements:
     *
     * - the caller must be the {owner}.
     *
     * @param newAnchorer The account allowed to anchor from now on, or the zero address.
     */
    function setAnchorer(address newAnchorer) external onlyOwner {
        _setAnchorer(newAnchorer);
    }

    /**
     * @notice Returns the account allowed to anchor.
     * @return The anchorer, or the zero address when nobody may anchor.
     */
    function anchorer() external view returns (address) {
        return _anchoring.anchorer;
    }

    /**
     * @notice Anchors `root`, the Merkle tree hash of a batch of `size` leaves.
     * @dev Records `root` with the next sequence number, `size`, and the current block number
     * and timestamp, extends the hash chain and emits an {Anchored} event.
     *
     * Requirements:
     *
     * - the caller must be the {anchorer}.
     * - `root` must not be zero.
     * - `size` must not be zero.
     * - `root` must not have been anchored before.
     *
     * @param root The Merkle tree hash of the batch.
     * @param size The number of leaves of the batch.
     * @return seq The zero-based sequence number given to `root` (the {count} before the call).
     */
    function anchor(bytes32 root, uint64 size) external returns (uint64 seq) {
        Anchoring memory anchoring = _anchoring;
        if (msg.sender != anchoring.anchorer) revert EvidenceAnchorUnauthorizedAccount(msg.sender);
        seq = anchoring.count;
        _head = _anchor(_head, root, size, seq);
        _anchoring = Anchoring(anchoring.anchorer, seq + 1);
    }

    /**
     * @notice Anchors several roots in one transaction, in the order given: each gets its own
     * record, sequence number, place in the hash chain and {Anchored} event, exactly as if
     * {anchor} had been called for each in turn. One transaction pays the base cost, the
     * access check and the updates of {count} and {head} once.
     * @dev All or nothing: if any root fails a requirement of {anchor}, the whole call reverts
     * with that root's error.
     *
     * Requirements:
     *
     * - the caller must be the {anchorer}.
     * - `roots` and `sizes` must have the same, non-zero length.
     * - every root and size must meet the requirements of {anchor}, and no root may repeat.
     *
     * @param roots The Merkle tree hashes of the batches, oldest first.
     * @param sizes The number of leaves of each batch.
     * @return firstSeq The sequence number given to `roots[0]`; the others follow it.
     */
    function anchorMany(bytes32[] calldata roots, uint64[] calldata sizes) external returns (uint64 firstSeq) {
        Anchoring memory anchoring = _anchoring;
        if (msg.sender != anchoring.anchorer) revert EvidenceAnchorUnauthorizedAccount(msg.sender);
        if (roots.length == 0 || roots.length != sizes.length) {
            revert EvidenceAnchorLengthMismatch(roots.length, sizes.length);
        }
        firstSeq = anchoring.count;
        // The head and the count live in memory during the loop and are stored once.
        bytes32 newHead = _head;
        uint64 seq = firstSeq;
        for (uint256 i = 0; i < roots.length; ++i) {
            newHead = _anchor(newHead, roots[i], sizes[i], seq);
            ++seq;
        }
        _head = newHead;
        _anchoring = Anchoring(anchoring.anchorer, seq);
    }

    /**
     * @dev The body of {anchor} for one root: checks, record, hash chain step, event. Returns
     * the head after `root`; the caller stores it and the count.
     */
    function _anchor(bytes32 prevHead, bytes32 root, uint64 size, uint64 seq) private returns (bytes32 newHead) {
        if (root == bytes32(0)) revert EvidenceAnchorZeroRoot();
        if (size == 0) revert EvidenceAnchorZeroSize();
        Record storage record = _records[root];
        if (record.timestamp != 0) revert EvidenceAnchorAlreadyAnchored(root, record.seq);

        _records[root] = Record({
            seq: seq,
            size: size,
            blockNumber: uint64(block.number),
            timestamp: uint64(block.timestamp)
        });
        newHead = sha256(abi.encodePacked(prevHead, root, size));

        emit Anchored(root, seq, size, newHead);
    }

    /// @dev Replaces the anchorer, keeping the count. Emits {AnchorerChanged}.
    function _setAnchorer(address newAnchorer) private {
        address previous = _anchoring.anchorer;
        _anchoring.anchorer = newAnchorer;
        emit AnchorerChanged(previous, newAnchorer);
    }

    /**
     * @notice Returns the record of `root`.
     * @dev All values are zero for a root that has not been anchored.
     * @param root The Merkle tree hash to look up.
     * @return anchored Whether `root` has been anchored.
     * @return seq The sequence number of `root`.
     * @return size The number of leaves of the tree whose hash is `root`.
     * @return blockNumber The number of the block in which `root` was anchored.
     * @return timestamp The timestamp of the block in which `root` was anchored.
     */
    function anchorOf(
        bytes32 root
    ) external view returns (bool anchored, uint64 seq, uint64 size, uint64 blockNumber, uint64 timestamp) {
        Record memory record = _records[root];
        return (record.timestamp != 0, record.seq, record.size, record.blockNumber, record.timestamp);
    }

    /**
     * @notice Returns the number of roots anchored so far.
     * @dev The roots themselves, in order, are in the {Anchored} events (`seq` is indexed).
     * @return The number of anchored roots, which is also the sequence number of the next one.
     */
    function count() external view returns (uint64) {
        return _anchoring.count;
    }

    /**
     * @notice Returns the head of the hash chain over all anchored roots.
     * @dev `bytes32(0)` before the first anchor; see the contract description for the chain.
     * @return The current head of the hash chain.
     */
    function head() external view returns (bytes32) {
        return _head;
    }

    /**
     * @notice Computes the root of a tree of `size` leaves from the hash of its leaf `index`
     * and the leaf's inclusion path, with the algorithm of RFC 9162 section 2.1.3.2.
     * @dev `leafHash` is the already hashed leaf (`sha256(0x00 || leaf)`); interior nodes are
     * `sha256(0x01 || left || right)`. The result is only meaningful when compared with a
     * trusted root; see {verifyInclusion}.
     *
     * Requirements:
     *
     * - `size` must not be zero.
     * - `index` must be below `size`.
     * - `path` must have exactly the length RFC 9162 implies for `index` and `size`.
     *
     * @param leafHash The hash of the leaf.
     * @param index The zero-based index of the leaf in the tree.
     * @param size The number of leaves of the tree.
     * @param path The inclusion path, ordered from the leaf's sibling upward.
     * @return The Merkle tree hash the proof leads to.
     */
    function rootFromInclusionProof(
        bytes32 leafHash,
        uint256 index,
        uint256 size,
        bytes32[] calldata path
    ) external pure returns (bytes32) {
        (bool ok, bytes32 root) = _rootFromInclusionProof(leafHash, index, size, path);
        if (!ok) revert EvidenceAnchorInvalidProof(index, size, path.length);
        return root;
    }

    /**
     * @notice Returns whether `leafHash` is the hash of leaf `index` of the anchored tree
     * whose hash is `root`, given the leaf's inclusion path.
     * @dev The tree size is the one recorded for `root` when it was anchored. A path of the
     * wrong length, an index not below the recorded size, or a path that leads to another
     * root give `false`.
     *
     * Requirements:
     *
     * - `root` must have been anchored.
     *
     * @param root An anchored Merkle tree hash.
     * @param leafHash The hash of the leaf.
     * @param index The zero-based index of the leaf in the tree.
     * @param path The inclusion path, ordered from the leaf's sibling upward.
     * @return Whether the proof leads from `leafHash` at `index` to `root`.
     */
    function verifyInclusion(
        bytes32 root,
        bytes32 leafHash,
        uint256 index,
        bytes32[] calldata path
    ) external view returns (bool) {
        Record memory record = _records[root];
        if (record.timestamp == 0) revert EvidenceAnchorNotAnchored(root);
        (bool ok, bytes32 computed) = _rootFromInclusionProof(leafHash, index, record.size, path);
        return ok && computed == root;
    }

    /**
     * @dev RFC 9162 section 2.1.3.2. Returns `ok == false` instead of reverting when the proof
     * has the wrong shape (empty tree, index out of range, path too long or too short).
     */
    function _rootFromInclusionProof(
        bytes32 leafHash,
        uint256 index,
        uint256 size,
        bytes32[] calldata path
    ) private pure returns (bool ok, bytes32 root) {
        if (index >= size) return (false, bytes32(0)); // also covers size == 0
        uint256 fn = index;
        uint256 sn = size - 1;
        root = leafHash;
        for (uint256 i = 0; i < path.length; ++i) {
            if (sn == 0) return (false, bytes32(0)); // path too long
            bytes32 p = path[i];
            if (fn & 1 == 1 || fn == sn) {
                root = _hashNode(p, root);
                if (fn & 1 == 0) {
                    while (fn & 1 == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                root = _hashNode(root, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        if (sn != 0) return (false, bytes32(0)); // path too short
        return (true, root);
    }

    /// @dev Interior node hash of RFC 6962: `sha256(0x01 || left || right)`.
    function _hashNode(bytes32 left, bytes32 right) private pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }
}
