import Foundation
import HallmarkCore

/// `hallmark summary DIR`: a short account of a release for people (Markdown) and machines (JSON), and a check
/// that a published listing has every asset.
public struct ReleaseSummary: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Summary: Codable, Sendable {
        public var name: String?
        public var version: String?
        public var commit: String?
        public var sourceDate: String?
        public var directory: String
        public var signed: Bool
        public var keyIds: [String]
        public var artifacts: [ReleaseIndex.Artifact]
        public var files: [ReleaseEvidence.FileDigest]
        public var totalSize: UInt64
        public var remoteListing: String?
        /// Release files the published listing lacks.
        public var missingRemote: [String]
        /// Names in the listing that are not release files.
        public var extraRemote: [String]
        public var complete: Bool
    }

    public struct Output: Sendable {
        public var summary: Summary
        public var markdownPath: String
        public var jsonPath: String
    }

    public func summarize(directory: String, remoteAssets: String?, outDirectory: String?) throws(HallmarkError) -> Output {
        let root = try context.resolve(directory)
        guard FileIO.isDirectory(root) else { throw .io("\(directory): No such directory") }
        guard FileIO.isFile(root + "/" + ReleaseDirectory.checksums) else {
            throw .invalidInput("\(directory) has no \(ReleaseDirectory.checksums): it is not a release directory")
        }
        // Under a data directory, release files read through a link that leads out are refused (as paths are).
        for name in [ReleaseIndex.fileName, ReleaseDirectory.signatures, ReleaseDirectory.checksums] {
            _ = try context.resolve(root + "/" + name)
        }
        var index: ReleaseIndex?
        if FileIO.isFile(root + "/" + ReleaseIndex.fileName) {
            index = try CanonicalJSON.decode(
                ReleaseIndex.self, from: try FileIO.read(root + "/" + ReleaseIndex.fileName, display: "\(directory)/\(ReleaseIndex.fileName)"),
                source: "\(directory)/\(ReleaseIndex.fileName)")
        }
        var keyIds: [String] = []
        if let data = try? FileIO.read(root + "/" + ReleaseDirectory.signatures),
            let set = try? CanonicalJSON.decode(SignatureSet.self, from: data, source: ReleaseDirectory.signatures)
        {
            keyIds = Array(Set(set.files.map(\.keyId))).sorted()
        }
        let members = try ReleaseDirectory.members(of: root).filter(\.isRegularFile).map(\.name)
        let listed = ChecksumList(parsing: try FileIO.read(root + "/" + ReleaseDirectory.checksums), algorithm: .sha256)
        let digests = Dictionary(listed.entries.map { ($0.path, $0.digest) }, uniquingKeysWith: { a, _ in a })
        var files: [ReleaseEvidence.FileDigest] = []
        var total: UInt64 = 0
        for name in members {
            let size = (try? FileManager.default.attributesOfItem(atPath: root + "/" + name)[.size] as? UInt64) ?? 0
            total += size
            files.append(.init(name: name, sha256: digests[name] ?? "", size: size))
        }

        var missing: [String] = []
        var extra: [String] = []
        if let remoteAssets {
            let text = try FileIO.readText(try context.resolve(remoteAssets), display: remoteAssets, limit: 8 << 20)
            var names = Set<String>()
            for raw in text.split(separator: "\n") {
                var line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") { continue }
                if let query = line.firstIndex(where: { $0 == "?" || $0 == "#" }) { line = String(line[..<query]) }
                // A URL or path names the asset by its last component; "sha256  name" lines by the name.
                if let last = line.split(separator: " ").last { line = String(last) }
                names.insert(line.split(separator: "/").last.map(String.init) ?? line)
            }
            let flat = Set(members.map { $0.split(separator: "/").last.map(String.init) ?? $0 })
            missing = members.filter { !names.contains($0.split(separator: "/").last.map(String.init) ?? $0) }
            extra = names.subtracting(flat).sorted()
        }
        let summary = Summary(
            name: index?.name, version: index?.version, commit: index?.commit, sourceDate: index?.sourceDate, directory: directory,
            signed: !keyIds.isEmpty, keyIds: keyIds, artifacts: index?.artifacts ?? [], files: files, totalSize: total,
            remoteListing: remoteAssets, missingRemote: missing, extraRemote: extra, complete: missing.isEmpty)

        let out: String
        if let outDirectory { out = try context.resolve(outDirectory) } else { out = try context.parentDirectory(of: root) }
        try Paths.makeDirectory(out)
        let jsonPath = out + "/release-summary.json"
        let markdownPath = out + "/release-summary.md"
        let json: Data
        do { json = try CanonicalJSON.prettyData(summary) } catch { throw .io("cannot encode the summary: \(error)") }
        try FileIO.writeAtomically(json, to: jsonPath)
        try FileIO.writeAtomically(Data(Self.markdown(summary).utf8), to: markdownPath)
        return Output(summary: summary, markdownPath: markdownPath, jsonPath: jsonPath)
    }

    static func markdown(_ s: Summary) -> String {
        var lines = ["# \(s.name ?? "Release") \(s.version ?? "")".trimmingCharacters(in: .whitespaces), ""]
        if let commit = s.commit { lines.append("- Commit: `\(commit)`") }
        if let date = s.sourceDate { lines.append("- Source date: \(date)") }
        lines.append("- Signed: " + (s.signed ? "yes, key \(s.keyIds.map { "`\($0)`" }.joined(separator: ", "))" : "no"))
        lines.append("- Files: \(s.files.count), \(ReleaseNotes.humanSize(s.totalSize)) in all")
        if !s.artifacts.isEmpty {
            lines += ["", "| Platform | Archive | Size | SHA-256 |", "|---|---|---|---|"]
            for a in s.artifacts { lines.append("| \(a.os)/\(a.arch) | `\(a.file)` | \(ReleaseNotes.humanSize(a.size)) | `\(a.sha256)` |") }
        }
        if let listing = s.remoteListing {
            lines += ["", "## Published assets (\(listing))", ""]
            if s.missingRemote.isEmpty {
                lines.append("All \(s.files.count) release files are published.")
            } else {
                lines.append("Missing from the published listing (\(s.missingRemote.count)):")
                lines += s.missingRemote.map { "- `\($0)`" }
            }
            if !s.extraRemote.isEmpty {
                lines.append("")
                lines.append("Published but not part of the release: " + s.extraRemote.map { "`\($0)`" }.joined(separator: ", "))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
