import Foundation
import HallmarkCore
import Testing

@Suite struct HexAndBase64Tests {
    @Test func hexRoundTripsAndRejectsJunk() {
        #expect(Hex.encode([0x00, 0xab, 0xff]) == "00abff")
        #expect(Hex.decode("00ABff") == [0x00, 0xab, 0xff])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.isHex(String(repeating: "a", count: 64), byteCount: 32))
        #expect(!Hex.isHex(String(repeating: "a", count: 63), byteCount: 32))
    }

    @Test func base64AcceptsBothAlphabetsWithOrWithoutPadding() {
        let bytes = Data([0xfb, 0xff, 0xbf, 0x01])
        #expect(Base64.decode("+/+/AQ==") == bytes)
        #expect(Base64.decode("-_-_AQ") == bytes)
        #expect(Base64.decode("not base64!") == nil)
    }

    @Test(arguments: [
        ("a.tar.gz", nil), ("dir/a", nil), ("./a", nil),
        ("/etc/passwd", "absolute"), ("../a", ".."), ("a/../../b", ".."), ("", "empty"), ("..\\a", "Windows"),
    ] as [(String, String?)])
    func relativePathSafety(path: String, reason: String?) {
        let found = RelativePath.unsafeReason(path)
        if let reason { #expect(found?.contains(reason) == true, "\(path): \(found ?? "nil")") } else { #expect(found == nil) }
    }

    @Test func canonicalNames() {
        for name in ["a", "dir/a", "café"] { #expect(RelativePath.nonCanonicalReason(name) == nil, "\(name)") }
        for name in ["./a", "dir/./a", "dir//a", "dir/", "../a", "/a", "", "a\\b"] { #expect(RelativePath.nonCanonicalReason(name) != nil, "\(name)") }
        // Checked on bytes: a combining mark after "/" or a prepend mark before it hides nothing.
        for name in ["../\u{34F}d\u{600}/..", "../\u{34F}x", "x\u{600}/../y", "/\u{34F}etc/passwd", "\u{600}/../app"] {
            #expect(RelativePath.unsafeReason(name) != nil, "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        #expect(RelativePath.nonCanonicalReason("a/\u{34F}./b") == nil)  // "\u{34F}." is a name, not "."
        #expect(RelativePath.nonCanonicalReason("a/.\u{34F}/b") == nil)
        #expect(RelativePath.nonCanonicalReason("a/./b") != nil)
        for name in ["a", "caf\u{e9}"] { #expect(RelativePath.isPlainName(name)) }
        for name in ["", ".", "..", "a/b", "a/\u{34F}b", "a\\b"] { #expect(!RelativePath.isPlainName(name), "\(name)") }
    }
}
