import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark sign DIR`: sign every file of a release directory.
public struct ReleaseSigning: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Result: Codable, Sendable {
        public var directory: String
        public var keyId: String
        public var algorithm: String
        public var wroteChecksums: Bool
        public var signed: [String]
    }

    /// Writes `checksums.txt` when missing (or checks it when present), then `FILE.sig` for every listed file
    /// and for `checksums.txt`, and `signatures.json`. Nothing is written unless everything succeeds.
    public func sign(directory: String, key: PrivateKey) throws(HallmarkError) -> Result {
        let root = try context.resolve(directory)
        let members = try ReleaseDirectory.members(of: root)
        if let odd = members.first(where: { !$0.isRegularFile }) {
            throw .invalidInput("\(directory)/\(odd.name): not a regular file (symlinks and devices cannot be signed); remove it from the release")
        }
        let names = Set(members.map(\.name))
        let previous = try? CanonicalJSON.decode(
            SignatureSet.self, from: FileIO.read(root + "/" + ReleaseDirectory.signatures), source: ReleaseDirectory.signatures)
        let previousSignatureFiles = Set(previous?.files.map(\.signatureFile) ?? [])
        let content = members.map(\.name).filter { name in
            name != ReleaseDirectory.checksums && name != ReleaseDirectory.signatures
                && !previousSignatureFiles.contains(name)
                && !(name.hasSuffix(".sig") && names.contains(String(name.dropLast(4))))
        }
        guard !content.isEmpty else { throw .invalidInput("\(directory): no files to sign") }

        // Hash everything once, in parallel.
        let digests = FileHasher.hexDigests(ofFilesAt: content.map { root + "/" + $0 }, algorithm: .sha256)
        var digestByName: [String: String] = [:]
        for (name, result) in zip(content, digests) {
            switch result {
            case .success(let hex): digestByName[name] = hex
            case .failure(let error): throw error
            }
        }

        var staged: [FileIO.StagedFile] = []
        let checksumsPath = root + "/" + ReleaseDirectory.checksums
        let checksumsData: Data
        let wroteChecksums: Bool
        if FileIO.isFile(checksumsPath) {
            checksumsData = try FileIO.read(checksumsPath, display: "\(directory)/\(ReleaseDirectory.checksums)")
            try checkExisting(checksumsData, against: digestByName, directory: directory)
            wroteChecksums = false
        } else {
            let list = ChecksumList(entries: content.map { ChecksumEntry(algorithm: .sha256, digest: digestByName[$0]!, path: $0) })
            checksumsData = list.gnuData
            staged.append(try FileIO.stage(checksumsData, for: checksumsPath))
            wroteChecksums = true
        }
        digestByName[ReleaseDirectory.checksums] = Hex.encode(SHA256Hasher.hash(checksumsData))

        let publicKey = key.publicKey
        var entries: [SignatureSet.Entry] = []
        do {
            for name in content + [ReleaseDirectory.checksums] {
                let signature = name == ReleaseDirectory.checksums
                    ? try key.signature(for: checksumsData) : try key.signature(forFileAt: root + "/" + name)
                let signatureName = name + ".sig"
                staged.append(try FileIO.stage(Data((Base64.encode(signature) + "\n").utf8), for: root + "/" + signatureName))
                entries.append(SignatureSet.Entry(
                    name: name, sha256: digestByName[name]!, signatureFile: signatureName,
                    algorithm: key.algorithm.signatureAlgorithmName, keyId: publicKey.keyID, publicKey: publicKey.pemText))
            }
            let set = SignatureSet(files: entries)
            staged.append(try FileIO.stage(try CanonicalJSON.prettyData(set), for: root + "/" + ReleaseDirectory.signatures))
        } catch let error as HallmarkError {
            FileIO.discard(staged)
            throw error
        } catch {
            FileIO.discard(staged)
            throw .io("cannot write signatures.json: \(error)")
        }
        try FileIO.commit(staged)
        return Result(
            directory: directory, keyId: publicKey.keyID, algorithm: key.algorithm.signatureAlgorithmName,
            wroteChecksums: wroteChecksums, signed: (content + [ReleaseDirectory.checksums]).sorted())
    }

    /// An existing `checksums.txt` is signed only if it lists exactly the directory's files, with their digests.
    private func checkExisting(_ data: Data, against digests: [String: String], directory: String) throws(HallmarkError) {
        let source = "\(directory)/\(ReleaseDirectory.checksums)"
        let list = ChecksumList(parsing: data, algorithm: .sha256)
        if let line = list.improperLines.first {
            throw .invalidInput("\(source):\(line): not a sha256 checksum line; fix it, or delete \(ReleaseDirectory.checksums) to have it rewritten")
        }
        var listed = Set<String>()
        for entry in list.entries {
            if let reason = RelativePath.unsafeReason(entry.path) {
                throw .invalidInput("\(source):\(entry.line): refusing \"\(entry.displayName)\": \(reason)")
            }
            guard let actual = digests[entry.path] else {
                throw .verificationFailed("\(source):\(entry.line): lists \(entry.path), which is not in the directory")
            }
            guard actual == entry.digest else {
                throw .verificationFailed("\(source):\(entry.line): \(entry.path) has sha256 \(actual), not the listed \(entry.digest); the file changed after the list was written")
            }
            listed.insert(entry.path)
        }
        if let unlisted = digests.keys.sorted().first(where: { !listed.contains($0) }) {
            throw .invalidInput("\(directory)/\(unlisted) is not listed in \(ReleaseDirectory.checksums); add it, or delete \(ReleaseDirectory.checksums) to have it rewritten")
        }
    }
}
