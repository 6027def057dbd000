import Foundation
import HallmarkArchive
import HallmarkCore
import HallmarkCrypto
import HallmarkEngine

/// Every parser of bytes from strangers, by name. Each body parses and discards: a thrown error is the parser
/// doing its job; a crash, a hang or a runaway allocation is a bug.
enum FuzzTargets {
    static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    /// Writes `data` to a scratch file for parsers that read files (archives), once per process; in memory
    /// (/dev/shm) when there is one.
    static let scratch: String = {
        var isDirectory: ObjCBool = false
        let shm = FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory) && isDirectory.boolValue
        return (shm ? "/dev/shm/" : NSTemporaryDirectory()) + "hallmark-fuzz-\(getpid())"
    }()

    static func removeScratch() {
        for suffix in [".zip", ".tar.gz"] { unlink(scratch + suffix) }
    }

    static let all: [String: @Sendable (Data) -> Void] = [
        "json": { data in _ = try? JSONValue(parsing: data) },
        "canonical-json": { data in
            guard let value = try? JSONValue(parsing: data) else { return }
            _ = value.canonicalData
            _ = value.olpcCanonicalData
        },
        "pem-keys": { data in
            _ = try? PEMDocument(parsing: text(data), source: "fuzz")
            _ = try? PublicKey(pem: text(data), source: "fuzz")
            _ = try? PrivateKey(pem: text(data), source: "fuzz", passphrase: { "fuzz" })
        },
        "der-keys": { data in
            _ = try? PublicKey(spki: Array(data), source: "fuzz")
            _ = try? SigningCertificate(der: Array(data), source: "fuzz")
        },
        "sigstore-bundle": { data in _ = try? SigstoreBundle(parsing: data, source: "fuzz") },
        "trusted-root": { data in _ = try? TrustedRoot(parsing: data, source: "fuzz") },
        "tuf-metadata": { data in
            guard let metadata = try? TUFMetadata(parsing: data, source: "fuzz") else { return }
            for name in ["root", "targets", "snapshot", "timestamp"] {
                if let role = metadata.rootRole(name) { _ = metadata.validSignatureCount(by: role) }
            }
            if let roles = try? metadata.delegations() {
                for role in roles { _ = role.covers("a/b/c.tgz") }
            }
            if case .object(let targets)? = metadata.signed["targets"] {
                for (path, entry) in targets.sorted(by: { $0.key < $1.key }).prefix(8) {
                    let order = JSONMemberOrder.keys(in: metadata.data, at: ["signed", "targets", path, "hashes"])
                    _ = try? TUFFileInfo(target: entry, path: path, source: "fuzz", order: order)
                    _ = TUFNames.quote(path)
                    _ = TUFPathPattern.matches(path, pattern: "a/*/c?.t[gx]z")
                }
            }
        },
        "checkpoint": { data in _ = try? TransparencyLog.Checkpoint(parsing: text(data)) },
        "rfc3161": { data in _ = try? RFC3161Timestamp(der: Array(data)) },
        "minisign": { data in
            _ = try? Minisign.Signature(minisign: text(data), source: "fuzz")
            _ = try? Minisign.Signature(signify: data, source: "fuzz")
            _ = try? Minisign.PublicKey(parsing: text(data), source: "fuzz")
        },
        "checksums": { data in
            for algorithm in DigestAlgorithm.allCases { _ = ChecksumList(parsing: data, algorithm: algorithm) }
        },
        "dsse": { data in
            guard let envelopes = try? DSSEEnvelope.parseAll(data, source: "fuzz") else { return }
            for envelope in envelopes {
                guard let payload = try? envelope.payloadBytes(source: "fuzz") else { continue }
                _ = try? InTotoStatement(validating: payload, source: "fuzz")
            }
        },
        "tar-gz": { data in archive(data, .tarGz) },
        "zip": { data in archive(data, .zip) },
        "oci-manifest": { data in
            guard let manifest = try? OCIManifest(parsing: data, source: "fuzz") else { return }
            _ = manifest.files()
        },
        "oci-reference": { data in _ = try? OCIReference(parsing: text(data)) },
        "docker-config": { data in _ = try? DockerConfig(parsing: data, source: "fuzz") },
        "www-authenticate": { data in _ = AuthenticationChallenge(parsing: text(data)) },
        "semver": { data in
            _ = try? SemanticVersion(parsing: text(data))
            _ = try? Platform(parsing: text(data))
        },
        "hallmark-yml": { data in _ = try? ConfigLoader().parse(text(data), source: "fuzz") },
        "toml": { data in _ = try? MiniTOML(parsing: text(data), source: "fuzz") },
        "release-index": { data in
            guard let index = try? CanonicalJSON.decode(ReleaseIndex.self, from: data, source: "fuzz") else { return }
            _ = try? index.validate(source: "fuzz")
        },
        "relative-path": { data in
            _ = RelativePath.unsafeReason(text(data))
            _ = RelativePath.nonCanonicalReason(text(data))
        },
    ]

    /// Reads an archive of fuzzed bytes, within small limits so a bomb is caught quickly.
    static func archive(_ data: Data, _ format: ArchiveFormat) {
        let path = scratch + (format == .zip ? ".zip" : ".tar.gz")
        guard FileManager.default.createFile(atPath: path, contents: data) else { return }
        var limits = ArchiveReader.Limits()
        limits.maxTotalSize = 64 << 20
        limits.maxEntrySize = 32 << 20
        limits.maxEntries = 2_000
        _ = try? ArchiveReader(limits: limits).members(of: path, format: format, display: "fuzz")
    }
}
