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
        for name in ["./a", "dir/./a", "dir//a", "dir/", "../a", "/a", ""] { #expect(RelativePath.nonCanonicalReason(name) != nil, "\(name)") }
    }
}
