import Crypto
import Foundation
import HallmarkCore

/// RFC 6962 / RFC 9162 Merkle tree hashing over stored perfect subtrees (``MerkleNodeID``): roots, inclusion and
/// consistency proofs for any tree size, the nodes an append completes, and consistency-proof verification.
public enum MerkleTree {
    /// SHA-256 of the empty string: the root of the empty tree.
    public static let emptyRoot = Data(SHA256.hash(data: Data()))

    public static func leafHash(_ body: Data) -> Data {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: body)
        return Data(hasher.finalize())
    }

    public static func nodeHash(_ left: Data, _ right: Data) -> Data {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return Data(hasher.finalize())
    }

    /// MTH over `range`, from the hashes of its decomposition; nil when a node is missing.
    public static func hash(of range: Range<Int64>, nodes: [MerkleNodeID: Data]) -> Data? {
        let parts = MerkleNodeID.decomposition(range)
        guard var result = nodes[parts[parts.count - 1]] else { return nil }
        for part in parts.dropLast().reversed() {
            guard let left = nodes[part] else { return nil }
            result = nodeHash(left, result)
        }
        return result
    }

    /// The nodes whose hashes ``root(size:nodes:)`` needs.
    public static func nodesForRoot(size: Int64) -> Set<MerkleNodeID> {
        size == 0 ? [] : Set(MerkleNodeID.decomposition(0..<size))
    }

    public static func root(size: Int64, nodes: [MerkleNodeID: Data]) -> Data? {
        size == 0 ? emptyRoot : hash(of: 0..<size, nodes: nodes)
    }

    /// The nodes ``completed(byAppending:leafHash:nodes:)`` reads: the left siblings of every node leaf `index`
    /// completes.
    public static func nodesForAppend(leaf index: Int64) -> Set<MerkleNodeID> {
        Set(MerkleNodeID.completed(byAppending: index).compactMap(\.left))
    }

    /// The hashes of the nodes that appending leaf `index` with `leafHash` completes (the leaf itself included).
    public static func completed(byAppending index: Int64, leafHash: Data, nodes: [MerkleNodeID: Data]) -> [MerkleNodeID: Data]? {
        var result: [MerkleNodeID: Data] = [:]
        var current = leafHash
        for (node, left) in MerkleNodeID.completed(byAppending: index) {
            if let left {
                guard let leftHash = nodes[left] else { return nil }
                current = nodeHash(leftHash, current)
            }
            result[node] = current
        }
        return result
    }

    /// The nodes an inclusion or consistency proof over these ranges needs.
    public static func nodes(for ranges: [Range<Int64>]) -> Set<MerkleNodeID> {
        Set(ranges.flatMap { MerkleNodeID.decomposition($0) })
    }

    /// The audit path of leaf `index` in the tree of `size` (RFC 6962 §2.1.1), deepest first.
    public static func inclusionProof(leaf index: Int64, size: Int64, nodes: [MerkleNodeID: Data]) -> [Data]? {
        var proof: [Data] = []
        for range in MerkleNodeID.inclusionPath(leaf: index, size: size) {
            guard let hash = hash(of: range, nodes: nodes) else { return nil }
            proof.append(hash)
        }
        return proof
    }

    /// The consistency proof from `old` to `new` (RFC 6962 §2.1.2).
    public static func consistencyProof(old: Int64, new: Int64, nodes: [MerkleNodeID: Data]) -> [Data]? {
        var proof: [Data] = []
        for range in MerkleNodeID.consistencyPath(old: old, new: new) {
            guard let hash = hash(of: range, nodes: nodes) else { return nil }
            proof.append(hash)
        }
        return proof
    }

    /// Whether `proof` shows the tree of size `old` with root `oldRoot` is a prefix of the tree of size `new` with
    /// root `newRoot` (RFC 9162 §2.1.4.2).
    public static func verifyConsistency(old: Int64, new: Int64, oldRoot: Data, newRoot: Data, proof: [Data]) -> Bool {
        guard old >= 0, old <= new, proof.allSatisfy({ $0.count == 32 }) else { return false }
        if old == new { return proof.isEmpty && oldRoot == newRoot }
        if old == 0 { return proof.isEmpty }
        var path = proof
        if old & (old - 1) == 0 { path.insert(oldRoot, at: 0) }
        guard !path.isEmpty else { return false }
        var fn = UInt64(old - 1)
        var sn = UInt64(new - 1)
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && fr == oldRoot && sr == newRoot
    }

    /// Whether `proof` shows `leafHash` at `index` in the tree of `size` with `root`.
    public static func verifyInclusion(leafHash: Data, index: Int64, size: Int64, root: Data, proof: [Data]) -> Bool {
        guard let computed = TransparencyLog.rootFromInclusionProof(
            leaf: Array(leafHash), index: index, size: size, proof: proof.map { Array($0) })
        else { return false }
        return Data(computed) == root
    }

    /// Recomputes a tree leaf by leaf (for checking a whole log): the right edge of perfect subtrees, so the root
    /// after each leaf costs O(log n).
    public struct Builder: Sendable {
        private var stack: [(level: Int, hash: Data)] = []
        public private(set) var size: Int64 = 0

        public init() {}

        /// Adds the next leaf; returns the nodes it completes.
        @discardableResult
        public mutating func append(leafHash: Data) -> [MerkleNodeID: Data] {
            var completed: [MerkleNodeID: Data] = [MerkleNodeID(level: 0, index: size): leafHash]
            stack.append((0, leafHash))
            while stack.count >= 2, stack[stack.count - 1].level == stack[stack.count - 2].level {
                let right = stack.removeLast()
                let left = stack.removeLast()
                let parent = (level: left.level + 1, hash: MerkleTree.nodeHash(left.hash, right.hash))
                stack.append(parent)
                completed[MerkleNodeID(level: parent.level, index: size >> parent.level)] = parent.hash
            }
            size += 1
            return completed
        }

        /// The root of the leaves added so far.
        public var root: Data {
            guard var result = stack.last?.hash else { return MerkleTree.emptyRoot }
            for node in stack.dropLast().reversed() { result = MerkleTree.nodeHash(node.hash, result) }
            return result
        }
    }
}
