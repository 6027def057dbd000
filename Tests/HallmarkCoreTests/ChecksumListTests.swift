import Foundation
import HallmarkCore
import Testing

@Suite struct ChecksumListTests {
    let hello = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

    @Test func parsesGNUAndBSDLinesLikeCoreutils() {
        let text = """
            # comment
            \(hello)  hello.txt
            \(hello) *binary.txt
            \(hello.uppercased())\ttab.txt
            SHA256 (bsd name.txt) = \(hello)
            \\\(hello)  new\\nline
            SHA512 (x) = \(hello)
            garbage

            \(hello)  crlf.txt\r

            """
        let list = ChecksumList(parsing: Data(text.utf8), algorithm: .sha256)
        #expect(list.entries.map(\.path) == ["hello.txt", "binary.txt", "tab.txt", "bsd name.txt", "new\nline", "crlf.txt"])
        #expect(list.entries.allSatisfy { $0.digest == hello })
        #expect(list.entries[3].style == .bsd)
        #expect(list.improperLines == [7, 8])
    }

    @Test func rejectsWrongLengthsAndTrailingJunk() {
        for line in [String(hello.dropLast()) + "  a", hello + hello + "  a", "SHA256 (a) = \(hello)  ", hello + "x a"] {
            let list = ChecksumList(parsing: Data((line + "\n").utf8), algorithm: .sha256)
            #expect(list.entries.isEmpty, "\(line)")
            #expect(list.improperLines == [1])
        }
    }

    @Test func writesSortedGNULinesWithEscapes() {
        let list = ChecksumList(entries: [
            ChecksumEntry(algorithm: .sha256, digest: hello, path: "b"),
            ChecksumEntry(algorithm: .sha256, digest: hello, path: "a b"),
            ChecksumEntry(algorithm: .sha256, digest: hello, path: "back\\slash"),
        ])
        let text = String(decoding: list.gnuData, as: UTF8.self)
        #expect(text == "\(hello)  a b\n\(hello)  b\n\\\(hello)  back\\\\slash\n")
        let reparsed = ChecksumList(parsing: list.gnuData, algorithm: .sha256)
        #expect(reparsed.entries.map(\.path) == ["a b", "b", "back\\slash"])
    }
}
