import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkTestSupport
import Testing

@Suite struct HashingTests {
    @Test func parallelDigestsMatchOneByOneAndKeepOrder() throws {
        let dir = try TemporaryDirectory()
        var paths: [String] = []
        for i in 0..<12 {
            paths.append(try dir.write("f\(i)", Data(repeating: UInt8(i), count: i * 300_000 + 1)))
        }
        paths.append(dir.url("missing"))
        let results = FileHasher.hexDigests(ofFilesAt: paths, algorithm: .sha256)
        for (path, result) in zip(paths.dropLast(), results) {
            #expect(try result.get() == FileHasher.hexDigest(ofFileAt: path, algorithm: .sha256))
        }
        #expect(throws: HallmarkError.self) { try results.last!.get() }
    }

    @Test func knownAnswers() throws {
        let dir = try TemporaryDirectory()
        let empty = try dir.write("empty", "")
        let hello = try dir.write("hello", "hello\n")
        #expect(try FileHasher.hexDigest(ofFileAt: empty, algorithm: .sha256) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try FileHasher.hexDigest(ofFileAt: hello, algorithm: .sha256) == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
        #expect(try FileHasher.hexDigest(ofFileAt: empty, algorithm: .sha512).hasPrefix("cf83e1357eefb8bdf1542850d66d8007"))
        #expect(throws: HallmarkError.self) { _ = try FileHasher.hexDigest(ofFileAt: dir.path, algorithm: .sha256) }
    }
}
