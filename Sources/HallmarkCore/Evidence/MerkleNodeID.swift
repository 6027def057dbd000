/// A perfect subtree of an RFC 6962 Merkle tree: the node at `level` (0 for leaves) and position `index` at that
/// level, covering leaves `index·2^level ..< (index+1)·2^level`. A log stores the hash of every such node once it
/// is complete, so roots and proofs for any size need only a logarithmic number of lookups.
public struct MerkleNodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var level: Int
    public var index: Int64

    public init(level: Int, index: Int64) {
        self.level = level
        self.index = index
    }

    public static func < (lhs: MerkleNodeID, rhs: MerkleNodeID) -> Bool { (lhs.level, lhs.index) < (rhs.level, rhs.index) }

    public var description: String { "\(level)/\(index)" }

    /// The first leaf this node covers and how many it covers.
    public var range: Range<Int64> { (index << level)..<((index + 1) << level) }

    /// The perfect subtree covering exactly `range`, when there is one (a power-of-two length, aligned).
    public static func perfect(_ range: Range<Int64>) -> MerkleNodeID? {
        let count = range.count
        guard count > 0, count & (count - 1) == 0 else { return nil }
        let level = Int64(count).trailingZeroBitCount
        guard range.lowerBound % Int64(count) == 0 else { return nil }
        return MerkleNodeID(level: level, index: range.lowerBound >> level)
    }

    /// The nodes completed by appending leaf `leaf` (itself first, then each parent it completes), with the left
    /// siblings each parent needs.
    public static func completed(byAppending leaf: Int64) -> [(node: MerkleNodeID, left: MerkleNodeID?)] {
        var result: [(MerkleNodeID, MerkleNodeID?)] = [(MerkleNodeID(level: 0, index: leaf), nil)]
        var level = 0
        var index = leaf
        while index & 1 == 1 {
            result.append((MerkleNodeID(level: level + 1, index: index >> 1), MerkleNodeID(level: level, index: index - 1)))
            level += 1
            index >>= 1
        }
        return result
    }

    /// The largest power of two strictly below `n` (n > 1), as RFC 6962's split point `k`.
    public static func split(_ n: Int64) -> Int64 {
        var k: Int64 = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// The perfect subtrees whose hashes make up MTH(D[range]) (RFC 6962 §2.1), left to right.
    public static func decomposition(_ range: Range<Int64>) -> [MerkleNodeID] {
        if let node = perfect(range) { return [node] }
        let k = split(Int64(range.count))
        return decomposition(range.lowerBound..<(range.lowerBound + k)) + decomposition((range.lowerBound + k)..<range.upperBound)
    }

    /// The sub-ranges whose hashes make up the inclusion proof of `leaf` in a tree of `size` (RFC 6962 §2.1.1),
    /// deepest first.
    public static func inclusionPath(leaf: Int64, size: Int64) -> [Range<Int64>] {
        func path(_ m: Int64, _ range: Range<Int64>) -> [Range<Int64>] {
            let n = Int64(range.count)
            guard n > 1 else { return [] }
            let k = split(n)
            let mid = range.lowerBound + k
            return m < k
                ? path(m, range.lowerBound..<mid) + [mid..<range.upperBound]
                : path(m - k, mid..<range.upperBound) + [range.lowerBound..<mid]
        }
        return path(leaf, 0..<size)
    }

    /// The sub-ranges whose hashes make up the consistency proof from size `old` to size `new` (RFC 6962 §2.1.2).
    public static func consistencyPath(old: Int64, new: Int64) -> [Range<Int64>] {
        func subproof(_ m: Int64, _ range: Range<Int64>, _ complete: Bool) -> [Range<Int64>] {
            let n = Int64(range.count)
            if m == n { return complete ? [] : [range] }
            let k = split(n)
            let mid = range.lowerBound + k
            return m <= k
                ? subproof(m, range.lowerBound..<mid, complete) + [mid..<range.upperBound]
                : subproof(m - k, mid..<range.upperBound, false) + [range.lowerBound..<mid]
        }
        guard old > 0, old < new else { return [] }
        return subproof(old, 0..<new, true)
    }
}
