import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkTestSupport
import Testing

@Suite("TUF metadata: parsing, signature thresholds and the Sigstore root chain")
struct TUFMetadataTests {
    static let sigstore = TestPaths.conformance("tuf-conformance/sigstore-root-signing/metadata")
    static let pythonTUF = TestPaths.conformance("python-tuf")

    func load(_ path: String) throws -> TUFMetadata {
        try TUFMetadata(parsing: Data(contentsOf: URL(fileURLWithPath: path)), source: (path as NSString).lastPathComponent)
    }

    func rootRole(_ meta: TUFMetadata) throws -> TUFMetadata.Role { try #require(meta.rootRole("root")) }

    @Test("Sigstore roots: v1–v3 refused at parse, v4 fails its own keys, v5 is not signed by v4, v5→v12 chain")
    func sigstoreRootChain() throws {
        for version in 1...3 {
            #expect(throws: HallmarkError.invalidInput("")) { try load(Self.sigstore + "/\(version).root.json") }
        }
        let v4 = try load(Self.sigstore + "/4.root.json")
        #expect(!v4.isSigned(by: try rootRole(v4)))
        let v5 = try load(Self.sigstore + "/5.root.json")
        #expect(v5.isSigned(by: try rootRole(v5)))
        #expect(v5.validSignatureCount(by: try rootRole(v4)) == 0)
        var previous = v5
        for version in 6...12 {
            let next = try load(Self.sigstore + "/\(version).root.json")
            #expect(next.version == version)
            #expect(next.isSigned(by: try rootRole(next)), "v\(version) self")
            #expect(next.isSigned(by: try rootRole(previous)), "v\(version) by v\(version - 1)")
            previous = next
        }
        // Empty signature strings (keyholders who did not sign) count for nothing.
        #expect(previous.signatures.filter { $0.signature.isEmpty }.count == 2)
        #expect(previous.validSignatureCount(by: try rootRole(previous)) == 3)
        #expect(previous.isExpired(at: RFC3339.parse("2025-08-20T00:00:00Z")!))
        #expect(!previous.isExpired(at: RFC3339.parse("2025-02-09T12:02:08Z")!))
    }

    @Test("python-tuf: RSA-PSS and Ed25519 roots verify; the derived tampered roots do not")
    func pythonTUFRoots() throws {
        let root = try load(Self.pythonTUF + "/repository_data/metadata/root.json")
        #expect(root.isSigned(by: try rootRole(root)))
        for name in ["timestamp", "snapshot", "targets"] {
            let meta = try load(Self.pythonTUF + "/repository_data/metadata/\(name).json")
            #expect(meta.isSigned(by: try #require(root.rootRole(name))), "\(name)")
        }
        let ed = try load(Self.pythonTUF + "/generated_data/ed25519_metadata/root_with_ed25519.json")
        #expect(ed.isSigned(by: try rootRole(ed)))
        let derived = Self.pythonTUF + "/derived"
        #expect(try load(derived + "/root-reformatted-whitespace.json").isSigned(by: try rootRole(ed)))
        for name in ["root-tampered-expires", "root-tampered-version", "root-unrecognized-field-unsigned", "root-no-signatures",
                     "root-corrupted-signature", "root-signature-unknown-keyid"] {
            let meta = try load(derived + "/\(name).json")
            #expect(!meta.isSigned(by: try rootRole(ed)), "\(name) must not verify")
        }
        #expect {
            try load(derived + "/root-duplicate-signature-entries.json")
        } throws: { ($0 as? HallmarkError)?.message.contains("multiple signatures") == true }
    }

    @Test("python-tuf serialization cases for whole metadata and the signed part")
    func serialization() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.pythonTUF + "/serialization/cases.json"))
        let cases = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        var checked = 0
        for entry in cases {
            guard let file = entry["file"] as? String, let kind = entry["object"] as? String, let expected = entry["expected"] as? String,
                kind == "metadata" || kind == "signed-snapshot"
            else { continue }
            var bytes = try Data(contentsOf: URL(fileURLWithPath: Self.pythonTUF + "/" + file))
            if kind == "signed-snapshot" {
                bytes = Data("{\"signed\": ".utf8) + bytes + Data(", \"signatures\": []}".utf8)
            }
            let parsed = (try? TUFMetadata(parsing: bytes, source: file)) != nil
            #expect(parsed == (expected == "valid"), "\(file): expected \(expected)")
            checked += 1
        }
        #expect(checked == 20)
    }

    @Test("OLPC canonical JSON escapes only quote and backslash, sorts keys, and refuses fractions")
    func olpc() throws {
        let value = try JSONValue(parsing: Data(#"{"b": "line\nbreak \"q\" \\", "a": [1, true, null], "é": 2}"#.utf8))
        #expect(String(decoding: try #require(value.olpcCanonicalData), as: UTF8.self) == "{\"a\":[1,true,null],\"b\":\"line\nbreak \\\"q\\\" \\\\\",\"é\":2}")
        #expect(try JSONValue(parsing: Data("[1.5]".utf8)).olpcCanonicalData == nil)
    }
}
