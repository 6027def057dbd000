import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkEngine
import HallmarkTestSupport
import Testing

@Suite struct ReleaseTests {
    struct Release {
        let dir: TemporaryDirectory
        let key: PrivateKey
        var context: EngineContext { EngineContext(environment: [:], workingDirectory: dir.path) }

        init(algorithm: KeyAlgorithm = .ed25519) throws {
            dir = try TemporaryDirectory()
            key = try PrivateKey.generate(algorithm)
            try dir.write("rel/app-linux-amd64.tar.gz", Data(repeating: 7, count: 100_000))
            try dir.write("rel/app windows.zip", "zip bytes")
            try dir.write("rel/caf\u{e9}.txt", "composed")
            try dir.write("rel/docs/README.md", "# app\n")
        }

        func sign() throws -> ReleaseSigning.Result { try ReleaseSigning(context: context).sign(directory: "rel", key: key) }

        func verify(keys: [PublicKey]? = nil, policy: ReleaseVerification.SignaturePolicy = .required) throws -> ReleaseVerification.Report {
            try ReleaseVerification(context: context).verify(directory: "rel", keys: keys ?? [key.publicKey], policy: policy)
        }
    }

    @Test(arguments: [KeyAlgorithm.ed25519, .ecdsaP256, .ecdsaP384])
    func signedReleaseVerifies(_ algorithm: KeyAlgorithm) throws {
        let release = try Release(algorithm: algorithm)
        let result = try release.sign()
        #expect(result.wroteChecksums)
        #expect(result.signed == ["app windows.zip", "app-linux-amd64.tar.gz", "caf\u{e9}.txt", "checksums.txt", "docs/README.md"])
        let report = try release.verify()
        #expect(report.verified, "\(report.problems)")
        #expect(report.files.allSatisfy { $0.signature == .verified })
        let set = try CanonicalJSON.decode(SignatureSet.self, from: release.dir.read("rel/signatures.json"), source: "s")
        #expect(set.files.map(\.name) == result.signed)
        #expect(set.files.allSatisfy { $0.keyId == release.key.publicKey.keyID })
    }

    @Test func signingTwiceGivesIdenticalBytesWithEd25519() throws {
        let release = try Release()
        _ = try release.sign()
        let first = try release.dir.snapshot()
        _ = try release.sign()
        #expect(try release.dir.snapshot() == first)
    }

    @Test func everyTamperingIsCaughtAndNamed() throws {
        let tamperings: [(String, (TemporaryDirectory) throws -> Void, String, ProblemCode)] = [
            ("flipped byte", { try $0.write("rel/app windows.zip", "zip bytez") }, "app windows.zip: sha256", .fileModified),
            ("missing file", { try FileManager.default.removeItem(atPath: $0.url("rel/docs/README.md")) }, "docs/README.md: missing", .fileMissing),
            ("extra file", { try $0.write("rel/docs/.hidden", "x") }, "docs/.hidden: not listed", .fileUnlisted),
            ("flipped signature", {
                let sig = try $0.read("rel/app windows.zip.sig")
                var bytes = Array(Data(base64Encoded: String(decoding: sig, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))!)
                bytes[5] ^= 1
                try $0.write("rel/app windows.zip.sig", Data(bytes).base64EncodedString())
            }, "app windows.zip: the signature", .signatureInvalid),
            ("swapped signatures", {
                let a = try $0.read("rel/app windows.zip.sig")
                try $0.write("rel/app windows.zip.sig", try $0.read("rel/docs/README.md.sig"))
                try $0.write("rel/docs/README.md.sig", a)
            }, "does not verify", .signatureInvalid),
            ("edited checksums.txt", {
                var text = String(decoding: try $0.read("rel/checksums.txt"), as: UTF8.self)
                text = text.replacingOccurrences(of: "app windows.zip", with: "app_windows.zip")
                try $0.write("rel/checksums.txt", text)
            }, "checksums.txt: the signature", .signatureInvalid),
            ("traversal in checksums.txt", {
                try $0.write("rel/checksums.txt", String(decoding: try $0.read("rel/checksums.txt"), as: UTF8.self)
                    + "\(String(repeating: "0", count: 64))  ../outside\n")
            }, "'..' would leave the directory", .checksumsUnsafePath),
            ("absolute path in checksums.txt", {
                try $0.write("rel/checksums.txt", String(decoding: try $0.read("rel/checksums.txt"), as: UTF8.self)
                    + "\(String(repeating: "0", count: 64))  /etc/passwd\n")
            }, "absolute paths are not allowed", .checksumsUnsafePath),
            ("symlink in place of a file", {
                try FileManager.default.removeItem(atPath: $0.url("rel/docs/README.md"))
                try FileManager.default.createSymbolicLink(atPath: $0.url("rel/docs/README.md"), withDestinationPath: "/etc/hostname")
            }, "not a regular file", .fileNotRegular),
            ("checksums.txt a symlink to a copy", {
                try FileManager.default.moveItem(atPath: $0.url("rel/checksums.txt"), toPath: $0.url("list.txt"))
                try FileManager.default.createSymbolicLink(atPath: $0.url("rel/checksums.txt"), withDestinationPath: $0.url("list.txt"))
            }, "checksums.txt: not a regular file", .fileNotRegular),
            ("a second name for a listed file in checksums.txt", {
                try $0.write("rel/checksums.txt", String(decoding: try $0.read("rel/checksums.txt"), as: UTF8.self)
                    + "\(String(repeating: "0", count: 64))  ./app windows.zip\n")
            }, "'.' components are not allowed", .checksumsUnsafePath),
            ("signatures.json naming an extra file as a signature", {
                try $0.write("rel/evil.sh", "#!/bin/sh\n")
                var set = try CanonicalJSON.decode(SignatureSet.self, from: try $0.read("rel/signatures.json"), source: "s")
                set.files.append(set.files[0])
                set.files[set.files.count - 1].signatureFile = "evil.sh"
                try $0.write("rel/signatures.json", try CanonicalJSON.prettyData(set))
            }, "evil.sh: not listed", .fileUnlisted),
            ("signatures.json lending one file's signature to another", {
                var set = try CanonicalJSON.decode(SignatureSet.self, from: try $0.read("rel/signatures.json"), source: "s")
                set.files[0].signatureFile = set.files[1].signatureFile
                try $0.write("rel/signatures.json", try CanonicalJSON.prettyData(set))
            }, "must be", .signaturesInvalid),
            ("a file beside a listed one under another Unicode spelling", {
                try $0.write("rel/caf\u{0065}\u{0301}.txt", "decomposed")
            }, "not listed", .fileUnlisted),
        ]
        for (label, tamper, expected, code) in tamperings {
            let release = try Release()
            _ = try release.sign()
            try tamper(release.dir)
            let report = try release.verify()
            #expect(!report.verified, "\(label) was not caught")
            #expect(report.problems.contains { $0.message.contains(expected) }, "\(label): \(report.problems)")
            #expect(report.problems.contains { $0.code == code }, "\(label): \(report.problems.map(\.code))")
        }
    }

    @Test func untrustedKeyIsNamedAsSuch() throws {
        let release = try Release()
        _ = try release.sign()
        let report = try release.verify(keys: [try PrivateKey.generate(.ed25519).publicKey])
        #expect(!report.verified)
        #expect(report.files.allSatisfy { $0.signature == .untrusted })
        #expect(report.problems.first?.message.contains("not a trusted key") == true)
        #expect(report.problems.first?.code == .signatureUntrustedKey)
    }

    @Test func unsignedReleasesNeedAllowUnsigned() throws {
        let release = try Release()
        let list = try Checksums(context: release.context).create(
            files: ["app windows.zip", "app-linux-amd64.tar.gz", "caf\u{e9}.txt", "docs/README.md"].map { "rel/" + $0 }, algorithm: .sha256)
        let relative = ChecksumList(entries: list.entries.map { ChecksumEntry(algorithm: .sha256, digest: $0.digest, path: String($0.path.dropFirst(4))) })
        try release.dir.write("rel/checksums.txt", relative.gnuData)
        #expect(try !release.verify().verified)
        #expect(try release.verify(keys: [], policy: .allowUnsigned).verified)
        #expect(throws: HallmarkError.self) { _ = try release.verify(keys: []) }
        // --allow-unsigned checks no signature, so a key beside it is a usage error, not a silent downgrade.
        #expect(throws: HallmarkError.usage("")) { _ = try release.verify(keys: [release.key.publicKey], policy: .allowUnsigned) }
        #expect(try release.verify().problems.contains { $0.code == .signatureMissing })
    }

    @Test func failedSigningLeavesTheDirectoryUnchanged() throws {
        let release = try Release()
        try release.dir.write("rel/checksums.txt", "\(String(repeating: "0", count: 64))  app windows.zip\n")
        let before = try release.dir.snapshot()
        #expect(throws: HallmarkError.self) { _ = try release.sign() }
        #expect(try release.dir.snapshot() == before)
    }

    @Test func signingRefusesSymlinks() throws {
        let release = try Release()
        try FileManager.default.createSymbolicLink(atPath: release.dir.url("rel/link"), withDestinationPath: "/etc/hostname")
        #expect { _ = try release.sign() } throws: { ($0 as? HallmarkError)?.message.contains("not a regular file") == true }
    }
}
