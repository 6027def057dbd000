import Foundation
import HallmarkCore
import HallmarkCrypto
import Testing

@Suite("TUF formats: path patterns, role-name quoting, hash order and file checks, key schemes")
struct TUFFormatsTests {
    @Test("Path patterns match per segment, as fnmatch does, case-sensitively")
    func pathPatterns() {
        let cases: [(String, String, Bool)] = [
            ("README.md", "*.md", true), ("releases/README.md", "*.md", false), ("releases/x/x_v1", "releases/*/*", true),
            ("releases/x", "releases/*/*", false), ("foo-1.tgz", "foo-?.tgz", true), ("foo-alpha.tgz", "foo-?.tgz", false),
            ("README.MD", "*.md", false), ("a/b", "*", false), ("", "*", true), ("abc", "a*c*", true), ("ab", "a[bc]", true),
            ("ad", "a[bc]", false), ("ad", "a[!bc]", true), ("a]", "a[]]", true), ("a[", "a[", true), ("a5", "a[0-9]", true),
            ("team-a/trusted_root.json", "team-a/*", true), ("team-b/trusted_root.json", "team-a/*", false),
        ]
        for (path, pattern, expected) in cases {
            #expect(TUFPathPattern.matches(path, pattern: pattern) == expected, "\(path) ~ \(pattern)")
        }
    }

    @Test("Role names are quoted as urllib.parse.quote(name, \"\") does")
    func quoting() {
        #expect(TUFNames.quote("../delegatedrole") == "..%2Fdelegatedrole")
        #expect(TUFNames.quote("?") == "%3F")
        #expect(TUFNames.quote("#") == "%23")
        #expect(TUFNames.quote("a b~c_d-e.f") == "a%20b~c_d-e.f")
        #expect(TUFNames.quote("é") == "%C3%A9")
        #expect(TUFNames.quote("dir/x y", keepingSlashes: true) == "dir/x%20y")
    }

    @Test("Member names in document order, through escaped keys")
    func memberOrder() throws {
        let json = Data(#"{"signed": {"targets": {"a\/b": {"hashes": {"sha512": "x", "sha256": "y"}}, "c": {}}}, "s": [1, {"a": "}"}]}"#.utf8)
        #expect(JSONMemberOrder.keys(in: json, at: ["signed", "targets", "a/b", "hashes"]) == ["sha512", "sha256"])
        #expect(JSONMemberOrder.keys(in: json, at: ["signed", "targets"]) == ["a/b", "c"])
        #expect(JSONMemberOrder.keys(in: json, at: []) == ["signed", "s"])
        #expect(JSONMemberOrder.keys(in: json, at: ["nothing"]) == nil)
    }

    @Test("File checks: length, every known hash, at least one known algorithm")
    func fileInfo() throws {
        let data = Data("target file contents".utf8)
        let sha256 = Hex.encode(SHA256Hasher.hash(data)), sha512 = Hex.encode(SHA512Hasher.hash(data))
        func info(_ hashes: String, length: Int = data.count) throws -> TUFFileInfo {
            let entry = try JSONValue(parsing: Data(#"{"length": \#(length), "hashes": {\#(hashes)}}"#.utf8))
            return try TUFFileInfo(target: entry, path: "t", source: "test", order: nil)
        }
        #expect(try info(#""sha256": "\#(sha256)""#).mismatch(data) == nil)
        #expect(try info(#""sha256": "\#(sha256)", "sha512": "\#(sha512)""#).mismatch(data) == nil)
        #expect(try info(#""sha256": "\#(sha256)", "unknown-hash": "00""#).mismatch(data) == nil)
        #expect(try info(#""unknown-hash": "\#(sha512)""#).mismatch(data)?.contains("only hash algorithms") == true)
        #expect(try info(#""sha256": "\#(sha256)", "sha512": "00""#).mismatch(data)?.contains("sha512") == true)
        #expect(try info(#""sha256": "\#(sha256)""#, length: data.count + 1).mismatch(data)?.contains("bytes") == true)
        #expect(throws: HallmarkError.invalidInput("")) { try info("") }
    }

    @Test("Keys verify by their scheme only")
    func keySchemes() throws {
        let key = try PrivateKey.generate(.ecdsaP256)
        let message: [UInt8] = Array("signed bytes".utf8)
        let signature = try key.signature(for: message)
        func object(_ type: String, _ scheme: String) throws -> JSONValue {
            .object(["keytype": .string(type), "scheme": .string(scheme), "keyval": .object(["public": .string(key.publicKey.pemText)])])
        }
        let tufKey = try #require(TUFKey(try object("ecdsa", "ecdsa-sha2-nistp256"), source: "test"))
        #expect(tufKey.isValidSignature(signature, over: message))
        #expect(!tufKey.isValidSignature(signature, over: message + [0]))
        #expect(TUFKey(try object("ecdsa", "ecdsa-sha2-nistp384"), source: "test") == nil)  // a P-256 key under a P-384 scheme
        #expect(TUFKey(try object("ed25519", "ed25519"), source: "test") == nil)
        #expect(TUFKey(try object("ecdsa", "made-up"), source: "test") == nil)
    }
}
