import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkTestSupport
import Testing

/// RFC 6962 hashing over stored perfect subtrees, checked against the RFC 6962 test vectors of Certificate
/// Transparency's reference implementation (the eight leaves below, their roots and proofs) and against the
/// inclusion-proof verifier Hallmark uses for Rekor.
@Suite("Merkle tree: roots, inclusion and consistency proofs, signed-note checkpoints")
struct MerkleTreeTests {
    static let leaves: [Data] = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map { Data(Hex.decode($0)!) }

    static let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    /// Every perfect subtree's hash for `count` leaves, as a log stores them, built append by append.
    static func nodes(_ leaves: [Data]) -> [MerkleNodeID: Data] {
        var nodes: [MerkleNodeID: Data] = [:]
        for (index, leaf) in leaves.enumerated() {
            let completed = MerkleTree.completed(byAppending: Int64(index), leafHash: MerkleTree.leafHash(leaf), nodes: nodes)!
            nodes.merge(completed) { _, new in new }
        }
        return nodes
    }

    @Test("Roots of every size match the RFC 6962 vectors, from stored nodes and from the streaming builder")
    func roots() {
        let nodes = Self.nodes(Self.leaves)
        var builder = MerkleTree.Builder()
        for size in 1...8 {
            builder.append(leafHash: MerkleTree.leafHash(Self.leaves[size - 1]))
            #expect(Hex.encode(MerkleTree.root(size: Int64(size), nodes: nodes)!) == Self.roots[size - 1], "size \(size)")
            #expect(Hex.encode(builder.root) == Self.roots[size - 1], "builder size \(size)")
        }
        #expect(Hex.encode(MerkleTree.root(size: 0, nodes: [:])!) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("Inclusion and consistency proofs match the vectors")
    func proofVectors() {
        let nodes = Self.nodes(Self.leaves)
        #expect(MerkleTree.inclusionProof(leaf: 0, size: 8, nodes: nodes)!.map { Hex.encode($0) } == [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ])
        #expect(MerkleTree.inclusionProof(leaf: 5, size: 8, nodes: nodes)!.map { Hex.encode($0) } == [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ])
        #expect(MerkleTree.consistencyProof(old: 1, new: 8, nodes: nodes)!.map { Hex.encode($0) } == [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ])
        #expect(MerkleTree.consistencyProof(old: 6, new: 8, nodes: nodes)!.map { Hex.encode($0) } == [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ])
        #expect(MerkleTree.consistencyProof(old: 2, new: 5, nodes: nodes)!.map { Hex.encode($0) } == [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ])
    }

    @Test("Every proof up to 70 leaves verifies, and a changed hash or size does not")
    func everyProofVerifies() {
        let leaves = (0..<70).map { Data("leaf \($0)".utf8) }
        let nodes = Self.nodes(leaves)
        for size in Int64(1)...70 {
            let root = MerkleTree.root(size: size, nodes: nodes)!
            for leaf in stride(from: Int64(0), to: size, by: 3) {
                let proof = MerkleTree.inclusionProof(leaf: leaf, size: size, nodes: nodes)!
                let hash = MerkleTree.leafHash(leaves[Int(leaf)])
                #expect(MerkleTree.verifyInclusion(leafHash: hash, index: leaf, size: size, root: root, proof: proof))
                #expect(!MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(Data("x".utf8)), index: leaf, size: size, root: root, proof: proof))
            }
            for old in stride(from: Int64(1), through: size, by: 2) {
                let oldRoot = MerkleTree.root(size: old, nodes: nodes)!
                let proof = MerkleTree.consistencyProof(old: old, new: size, nodes: nodes)!
                #expect(MerkleTree.verifyConsistency(old: old, new: size, oldRoot: oldRoot, newRoot: root, proof: proof), "\(old)→\(size)")
                if old < size {
                    var bad = proof
                    bad[bad.count - 1] = MerkleTree.leafHash(Data("x".utf8))
                    #expect(!MerkleTree.verifyConsistency(old: old, new: size, oldRoot: oldRoot, newRoot: root, proof: bad))
                    #expect(!MerkleTree.verifyConsistency(old: old, new: size, oldRoot: root, newRoot: root, proof: proof))
                }
            }
        }
    }

    @Test("A signed checkpoint parses, verifies with its key and name, and fails with another key, name or body")
    func checkpoints() throws {
        let key = try PrivateKey.generate(.ed25519)
        let other = try PrivateKey.generate(.ed25519)
        let root = MerkleTree.leafHash(Data("x".utf8))
        let note = try SignedNote.signCheckpoint(origin: "example.com/log", size: 7, root: root, name: "example.com/log", key: key)
        let checkpoint = try SignedNote.verifiedCheckpoint(note, name: "example.com/log", key: key.publicKey, source: "test")
        #expect(checkpoint.size == 7 && Data(checkpoint.rootHash) == root)
        #expect(throws: HallmarkError.self) { try SignedNote.verifiedCheckpoint(note, name: "example.com/log", key: other.publicKey, source: "t") }
        #expect(throws: HallmarkError.self) { try SignedNote.verifiedCheckpoint(note, name: "other", key: key.publicKey, source: "t") }
        let changed = note.replacingOccurrences(of: "\n7\n", with: "\n8\n")
        #expect(throws: HallmarkError.self) { try SignedNote.verifiedCheckpoint(changed, name: "example.com/log", key: key.publicKey, source: "t") }
        #expect(try SignedNote.verifierKey(name: "example.com/log", key: key.publicKey).hasPrefix("example.com/log+"))
    }
}
