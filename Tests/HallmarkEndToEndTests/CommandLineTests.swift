import Foundation
import HallmarkTestSupport
import Testing

/// The built binary: output, exit codes, and one-line errors for every bad input.
@Suite struct CommandLineTests {
    /// Expect a failure with `status`, one stderr line naming `mentions`, and no crash output.
    func expectFailure(_ result: ProcessOutput, status: Int32, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == status, "exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1, "expected one line: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("hallmark: error: ") || result.stderr.hasPrefix("Error: "), "\(result.stderr)", sourceLocation: sourceLocation)
        for word in mentions {
            #expect(result.stderr.contains(word), "stderr lacks \"\(word)\": \(result.stderr)", sourceLocation: sourceLocation)
        }
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack"), sourceLocation: sourceLocation)
    }

    @Test("Control characters from names in errors are escaped: one line, no terminal escapes")
    func controlCharactersInMessagesAreEscaped() throws {
        let name = "missing\u{1b}[2K\rverified\nsecond\u{202e}line"
        let result = try ProcessRunner.hallmark(["checksum", name])
        expectFailure(result, status: 2, mentions: ["missing\\u{1b}[2K\\rverified\\nsecond\\u{202e}line"])
        #expect(!result.stderr.contains("\u{1b}") && !result.stderr.contains("\r"))
    }

    @Test("A closed standard output or error ends the process quietly (141, 2), never in a crash")
    func closedOutputStreams() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("a.txt", "hello\n")
        let binary = TestPaths.binary
        // No standard output: the checksum line cannot be written.
        let noOutput = try ProcessRunner.run("/bin/sh", ["-c", "\"$0\" checksum \"$1\" >&-; echo \"exit $?\" >&2", binary, file])
        #expect(noOutput.stderr.contains("exit 141"), "\(noOutput.stderr)")
        // No standard error: the one-line error is lost, the exit code stays.
        let noError = try ProcessRunner.run("/bin/sh", ["-c", "\"$0\" checksum /nonexistent/file 2>&-; echo \"exit $?\"", binary])
        #expect(noError.stdout.contains("exit 2"), "\(noError.stdout)")
    }

    @Test func versionIsReportedInTextAndJSON() throws {
        let plain = try ProcessRunner.hallmark(["--version"])
        #expect(plain.status == 0)
        #expect(plain.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        let json = try ProcessRunner.hallmark(["version", "--format", "json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        #expect(Set(object.keys) == ["schemaVersion", "version", "commit", "buildDate", "swiftVersion", "platform"])
        #expect(object["schemaVersion"] as? Int == 1)
        #expect((object["platform"] as? String)?.contains("/") == true)
    }

    @Test func usageErrorsExitTwo() throws {
        let unknown = try ProcessRunner.hallmark(["verify", "--no-such-flag"])
        #expect(unknown.status == 2)
        let both = try ProcessRunner.hallmark(["verify", ".", "--require-signatures", "--allow-unsigned"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("contradict"))
        let help = try ProcessRunner.hallmark(["sign", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("$ hallmark sign"))
    }

    @Test func signAndVerifyAReleaseThroughTheBinary() throws {
        let dir = try TemporaryDirectory()
        let generated = try ProcessRunner.hallmark(["keys", "generate", "--out", "release"], in: dir.path)
        #expect(generated.status == 0)
        let keyID = generated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(keyID.count == 64)
        let mode = try FileManager.default.attributesOfItem(atPath: dir.url("release.key"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let id = try ProcessRunner.hallmark(["keys", "id", "release.pub"], in: dir.path)
        #expect(id.stdout.hasPrefix(keyID))

        try dir.write("dist/app.tar.gz", "archive")
        try dir.write("dist/app notes.txt", "notes")
        #expect(try ProcessRunner.hallmark(["sign", "dist", "--key", "release.key"], in: dir.path).status == 0)
        let verified = try ProcessRunner.hallmark(["verify", "dist", "--key", "release.pub"], in: dir.path)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("verified: 3 files"))
        let json = try ProcessRunner.hallmark(["verify", "dist", "--key", "release.pub", "--format", "json"], in: dir.path)
        let report = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        #expect(report["verified"] as? Bool == true)

        try dir.write("dist/app.tar.gz", "archivE")
        let failed = try ProcessRunner.hallmark(["verify", "dist", "--key", "release.pub"], in: dir.path)
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("modified  app.tar.gz"))
        let failedJSON = try ProcessRunner.hallmark(["verify", "dist", "--key", "release.pub", "--format", "json"], in: dir.path)
        #expect(failedJSON.status == 1)
        #expect(failedJSON.stderr.isEmpty)
    }

    @Test func badKeysGiveOneLineErrors() throws {
        let dir = try TemporaryDirectory()
        try dir.write("file", "data")
        try dir.write("garbage.key", Data((0..<200).map { UInt8($0) }))
        try dir.write("notpem.key", "hello")
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", "good"], in: dir.path).status == 0)
        let pem = try String(contentsOfFile: dir.url("good.key"), encoding: .utf8)
        try dir.write("truncated.key", String(pem.prefix(60)))
        for key in ["garbage.key", "notpem.key", "truncated.key", "good.pub", "missing.key"] {
            let result = try ProcessRunner.hallmark(["sign-blob", "file", "--key", key], in: dir.path)
            expectFailure(result, status: 2, mentions: [key])
            #expect(!dir.exists("file.sig"))
        }
        expectFailure(try ProcessRunner.hallmark(["sign-blob", "file"], in: dir.path), status: 2, mentions: ["HALLMARK_SIGNING_KEY"])
    }

    @Test func encryptedKeysAndWrongPassphrases() throws {
        let dir = try TemporaryDirectory()
        try dir.write("file", "data")
        let env = ["HALLMARK_KEY_PASSWORD": "s3cret"]
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", "enc", "--encrypt"], in: dir.path, environment: env).status == 0)
        #expect(try String(contentsOfFile: dir.url("enc.key"), encoding: .utf8).hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        #expect(try ProcessRunner.hallmark(["sign-blob", "file", "--key", "enc.key"], in: dir.path, environment: env).status == 0)
        #expect(try ProcessRunner.hallmark(["verify-blob", "file", "--key", "enc.pub"], in: dir.path).status == 0)
        try FileManager.default.removeItem(atPath: dir.url("file.sig"))
        let wrong = try ProcessRunner.hallmark(["sign-blob", "file", "--key", "enc.key"], in: dir.path, environment: ["HALLMARK_KEY_PASSWORD": "nope"])
        expectFailure(wrong, status: 2, mentions: ["enc.key", "wrong passphrase"])
        #expect(!dir.exists("file.sig"))
        let none = try ProcessRunner.hallmark(["keys", "generate", "--out", "x", "--encrypt"], in: dir.path)
        expectFailure(none, status: 2, mentions: ["HALLMARK_KEY_PASSWORD"])
    }

    @Test func signingKeyFromTheEnvironment() throws {
        let dir = try TemporaryDirectory()
        try dir.write("file", "data")
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", "k"], in: dir.path).status == 0)
        let pem = try String(contentsOfFile: dir.url("k.key"), encoding: .utf8)
        #expect(try ProcessRunner.hallmark(["sign-blob", "file"], in: dir.path, environment: ["HALLMARK_SIGNING_KEY": pem]).status == 0)
        #expect(try ProcessRunner.hallmark(["verify-blob", "file", "--key", "k.pub"], in: dir.path).status == 0)
        #expect(try ProcessRunner.hallmark(["sign-blob", "file", "--key", "env://MY_KEY", "--output-signature", "other.sig"], in: dir.path, environment: ["MY_KEY": pem]).status == 0)
        #expect(try ProcessRunner.hallmark(["verify-blob", "file", "--key", "k.pub", "--signature", "other.sig"], in: dir.path).status == 0)
    }

    @Test func tamperedInputsFailVerification() throws {
        let dir = try TemporaryDirectory()
        try dir.write("file", "data")
        try dir.write("predicate.json", "{\"x\":1}")
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", "k"], in: dir.path).status == 0)
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", "other", "--algorithm", "ecdsa-p256"], in: dir.path).status == 0)
        #expect(try ProcessRunner.hallmark(["sign-blob", "file", "--key", "k.key"], in: dir.path).status == 0)
        #expect(try ProcessRunner.hallmark(["attest", "--predicate-type", "https://example.com/t", "--predicate", "predicate.json", "--subject", "file", "--key", "k.key", "--output", "a.intoto.jsonl"], in: dir.path).status == 0)
        #expect(try ProcessRunner.hallmark(["verify-attestation", "a.intoto.jsonl", "--key", "k.pub", "--subject", "file"], in: dir.path).status == 0)

        // Wrong key, of another algorithm.
        expectFailure(try ProcessRunner.hallmark(["verify-blob", "file", "--key", "other.pub"], in: dir.path), status: 1, mentions: ["file.sig"])
        // A changed file.
        try dir.write("file", "datA")
        expectFailure(try ProcessRunner.hallmark(["verify-blob", "file", "--key", "k.pub"], in: dir.path), status: 1, mentions: ["file"])
        expectFailure(try ProcessRunner.hallmark(["verify-attestation", "a.intoto.jsonl", "--key", "k.pub", "--subject", "file"], in: dir.path), status: 1, mentions: ["not a subject"])
        // A flipped byte inside the envelope's payload.
        var envelope = String(decoding: try dir.read("a.intoto.jsonl"), as: UTF8.self)
        let payloadStart = try #require(envelope.range(of: "\"payload\":\""))
        let index = envelope.index(payloadStart.upperBound, offsetBy: 20)
        let replacement: Character = envelope[index] == "A" ? "B" : "A"
        envelope.replaceSubrange(index...index, with: String(replacement))
        try dir.write("b.intoto.jsonl", envelope)
        expectFailure(try ProcessRunner.hallmark(["verify-attestation", "b.intoto.jsonl", "--key", "k.pub"], in: dir.path), status: 1, mentions: ["b.intoto.jsonl"])
        // Malformed envelopes are input errors.
        try dir.write("c.intoto.jsonl", Data([0x7B, 0xFF, 0x7D]))
        expectFailure(try ProcessRunner.hallmark(["verify-attestation", "c.intoto.jsonl", "--key", "k.pub"], in: dir.path), status: 2, mentions: ["c.intoto.jsonl", "UTF-8"])
        try dir.write("d.intoto.jsonl", "{\"payload\":\"e30=\"}")
        expectFailure(try ProcessRunner.hallmark(["verify-attestation", "d.intoto.jsonl", "--key", "k.pub"], in: dir.path), status: 2, mentions: ["d.intoto.jsonl", "payloadType"])
    }

    @Test func oversizedJSONIsRefused() throws {
        let dir = try TemporaryDirectory()
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", "k"], in: dir.path).status == 0)
        let big = Data("{\"payload\":\"".utf8) + Data(repeating: UInt8(ascii: "A"), count: 65 << 20) + Data("\"}".utf8)
        try dir.write("big.intoto.jsonl", big)
        expectFailure(try ProcessRunner.hallmark(["verify-attestation", "big.intoto.jsonl", "--key", "k.pub"], in: dir.path), status: 2, mentions: ["big.intoto.jsonl", "limit"])
    }

    @Test func unsafeChecksumListsAreRefused() throws {
        let dir = try TemporaryDirectory()
        try dir.write("a", "a")
        let zero = String(repeating: "0", count: 64)
        for (name, line) in [("up.sha256", "\(zero)  ../a"), ("abs.sha256", "\(zero)  /etc/passwd"), ("deep.sha256", "SHA256 (x/../../a) = \(zero)")] {
            try dir.write(name, line + "\n")
            expectFailure(try ProcessRunner.hallmark(["checksum", "--check", name], in: dir.path), status: 2, mentions: [name + ":1"])
        }
    }

    @Test func checkQuietAndJSONOutput() throws {
        let dir = try TemporaryDirectory()
        try dir.write("a", "a")
        try dir.write("b", "b")
        #expect(try ProcessRunner.hallmark(["checksum", "a", "b", "--output", "SUMS"], in: dir.path).status == 0)
        let quiet = try ProcessRunner.hallmark(["checksum", "--check", "SUMS", "--quiet"], in: dir.path)
        #expect(quiet.status == 0)
        #expect(quiet.stdout.isEmpty)
        try dir.write("b", "B")
        let failed = try ProcessRunner.hallmark(["checksum", "--check", "SUMS", "--quiet"], in: dir.path)
        #expect(failed.status == 1)
        #expect(failed.stdout == "b: FAILED\n")
        let json = try ProcessRunner.hallmark(["checksum", "--check", "SUMS", "--format", "json"], in: dir.path)
        #expect(json.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        let lines = try #require(report["lines"] as? [[String: Any]])
        #expect(lines.map { $0["status"] as? String } == ["OK", "FAILED"])
    }

    @Test func checksumWritesSortedListsAtomically() throws {
        let dir = try TemporaryDirectory()
        try dir.write("b.txt", "b")
        try dir.write("a file.txt", "a")
        let result = try ProcessRunner.hallmark(["checksum", "b.txt", "a file.txt", "--output", "SUMS"], in: dir.path)
        #expect(result.status == 0)
        let text = String(decoding: try dir.read("SUMS"), as: UTF8.self)
        #expect(text.split(separator: "\n").map { String($0.dropFirst(66)) } == ["a file.txt", "b.txt"])
        let missing = try ProcessRunner.hallmark(["checksum", "b.txt", "nope", "--output", "OTHER"], in: dir.path)
        expectFailure(missing, status: 2, mentions: ["nope"])
        #expect(!dir.exists("OTHER"))
        let entries = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!entries.contains { $0.contains(".tmp-") })
    }

    @Test func failedReleaseSigningLeavesNothingBehind() throws {
        let dir = try TemporaryDirectory()
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", "k"], in: dir.path).status == 0)
        try dir.write("rel/a", "a")
        try dir.write("rel/checksums.txt", "\(String(repeating: "1", count: 64))  a\n")
        let before = try dir.snapshot()
        expectFailure(try ProcessRunner.hallmark(["sign", "rel", "--key", "k.key"], in: dir.path), status: 1, mentions: ["checksums.txt:1", "a"])
        #expect(try dir.snapshot() == before)
        expectFailure(try ProcessRunner.hallmark(["verify", "nowhere", "--key", "k.pub"], in: dir.path), status: 2, mentions: ["nowhere"])
    }
}
