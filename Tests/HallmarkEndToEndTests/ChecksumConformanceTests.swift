import Foundation
import HallmarkTestSupport
import Testing

/// `hallmark checksum --check` against GNU coreutils 9.1's recorded outcomes on the uutils fixtures and the
/// derived edge cases (../shared/conformance/checksums-uutils-coreutils).
@Suite struct ChecksumConformanceTests {
    struct Outcome: Decodable, Sendable {
        var exit: Int32
        var stdout: String
        var stderr: String
    }

    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        var checkfile: String
        var `default`: Outcome
        var strict: Outcome
        var ignore_missing: Outcome
        var testDescription: String { checkfile }
    }

    static let root = TestPaths.conformance("checksums-uutils-coreutils")

    static let cases: [Case] = {
        struct Results: Decodable { var cases: [Case] }
        let path = root + "/derived/gnu-coreutils-9.1-results.json"
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return (try? JSONDecoder().decode(Results.self, from: data).cases) ?? []
    }()

    @Test func corpusIsPresent() {
        #expect(Self.cases.count == 25)
    }

    @Test(arguments: cases)
    func matchesGNUCoreutilsInEveryMode(_ testCase: Case) throws {
        let name = (testCase.checkfile as NSString).lastPathComponent
        for (flags, expected) in [([], testCase.default), (["--strict"], testCase.strict), (["--ignore-missing"], testCase.ignore_missing)] {
            let result = try ProcessRunner.hallmark(["checksum", "--check", name] + flags, in: Self.root + "/derived")
            let mode = flags.first ?? "default"
            // Same outcome: 0 when GNU passes, 1 (verification failed) when it fails.
            #expect(result.status == (expected.exit == 0 ? 0 : 1), "\(name) \(mode): exit \(result.status)\n\(result.stderr)")
            #expect(result.stdout == expected.stdout, "\(name) \(mode)")
            // GNU's summary lines, word for word, after our program-name prefix.
            let ours = result.stderr.split(separator: "\n").map { $0.replacingOccurrences(of: "hallmark: ", with: "") }
            for line in expected.stderr.split(separator: "\n") where !line.contains("$'") {
                #expect(ours.contains(String(line)), "\(name) \(mode): missing stderr line \"\(line)\" in \(ours)")
            }
        }
    }

    @Test(arguments: [
        ("sha256sum", "sha256.checkfile", "sha256", "input.txt: OK\n"),
        ("sha256sum", "binary.sha256.checkfile", "sha256", "binary.png: OK\n"),
        ("cksum", "sha256_single_file.expected", "sha256", nil),
        ("cksum", "sha256_multiple_files.expected", "sha256", nil),
        ("cksum", "sha512_multiple_files.expected", "sha512", nil),
        ("cksum", "untagged/sha256_single_file.expected", "sha256", nil),
        ("cksum", "untagged/sha256_multiple_files.expected", "sha256", nil),
        ("cksum", "untagged/sha512_multiple_files.expected", "sha512", nil),
    ] as [(String, String, String, String?)])
    func upstreamFixturesVerify(folder: String, list: String, algorithm: String, stdout: String?) throws {
        let result = try ProcessRunner.hallmark(["checksum", "--check", list, "--algorithm", algorithm], in: Self.root + "/" + folder)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").allSatisfy { $0.hasSuffix(": OK") })
        if let stdout { #expect(result.stdout == stdout) }
    }

    @Test func bareDigestFilesMatchOurOutput() throws {
        for (file, expectedFile) in [("input.txt", "sha256.expected"), ("binary.png", "binary.sha256.expected")] {
            let result = try ProcessRunner.hallmark(["checksum", file], in: Self.root + "/sha256sum")
            let expected = try String(contentsOfFile: Self.root + "/sha256sum/" + expectedFile, encoding: .utf8)
            #expect(result.stdout.prefix(64) == expected.trimmingCharacters(in: .whitespacesAndNewlines).prefix(64))
        }
    }
}
