import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkTestSupport
import Testing

@Suite("minisign and signify formats: the aead/minisign and jedisct1 parser cases")
struct MinisignFormatTests {
    static let aead = TestPaths.conformance("minisign-aead")
    static let jedisct1 = TestPaths.conformance("minisign-jedisct1")

    func text(_ path: String) throws -> String { String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self) }

    @Test func signatureParseCases() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.aead + "/signature-parse").sorted()
        #expect(files.count == 12)
        for file in files {
            let parsed = try? Minisign.Signature(minisign: try text(Self.aead + "/signature-parse/" + file), source: file)
            #expect((parsed != nil) == file.contains("-valid"), "\(file)")
        }
        let valid = try Minisign.Signature(minisign: try text(Self.aead + "/signature-parse/00-valid.minisig"), source: "00")
        #expect(valid.algorithm == "Ed" && Minisign.keyIDText(valid.keyID) == "E7620F1842B4E81F")
        #expect(valid.trustedComment == "timestamp:1591521248\tfile:minisign-0.9.tar.gz")
        // CRLF files parse, and no comment keeps its \r.
        let crlf = try Minisign.Signature(minisign: try text(Self.aead + "/robtest.ps1.minisig"), source: "robtest")
        #expect(Minisign.keyIDText(crlf.keyID) == "E9D0E93D482F9737")
        #expect(!(crlf.trustedComment ?? "").hasSuffix("\r") && !crlf.untrustedComment.hasSuffix("\r"))
    }

    @Test func publicKeyParseCases() throws {
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.aead + "/pubkey-parse").sorted() {
            let parsed = try? Minisign.PublicKey(parsing: try text(Self.aead + "/pubkey-parse/" + file), source: file)
            #expect((parsed != nil) == file.contains("-valid"), "\(file)")
            if let parsed { #expect(Minisign.keyIDText(parsed.keyID) == "E7620F1842B4E81F" && Hex.encode(parsed.raw).hasPrefix("79a561e7")) }
        }
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.jedisct1 + "/pubkey-parse").sorted() {
            let parsed = try? Minisign.PublicKey(parsing: try text(Self.jedisct1 + "/pubkey-parse/" + file), source: file)
            #expect((parsed != nil) == file.hasPrefix("valid"), "\(file)")
        }
        let key = try Minisign.PublicKey(parsing: try text(Self.jedisct1 + "/minisign.pub"), source: "minisign.pub")
        #expect(key.minisignText == (try text(Self.jedisct1 + "/minisign.pub")) + (try text(Self.jedisct1 + "/minisign.pub").hasSuffix("\n") ? "" : "\n"))
    }

    @Test("BLAKE2b-512 from libsodium matches the RFC 7693 test vector and streams files")
    func blake2b() throws {
        #expect(Hex.encode(BLAKE2b512.hash(Data("abc".utf8))) == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
        let dir = try TemporaryDirectory()
        let data = Data((0..<3_000_000).map { UInt8($0 % 253) })
        try dir.write("big", data)
        #expect(try BLAKE2b512.hash(fileAt: dir.url("big")) == BLAKE2b512.hash(data))
    }
}
