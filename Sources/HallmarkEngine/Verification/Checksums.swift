import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark checksum`: write GNU checksum lists, and check lists as GNU coreutils does.
public struct Checksums: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    /// Hashes `files` in parallel and returns the list, sorted by name.
    public func create(files: [String], algorithm: DigestAlgorithm) throws(HallmarkError) -> ChecksumList {
        guard !files.isEmpty else { throw .usage("name at least one file to hash") }
        let results = FileHasher.hexDigests(ofFilesAt: try context.resolve(all: files), algorithm: algorithm, displayNames: files)
        var entries: [ChecksumEntry] = []
        for (file, result) in zip(files, results) {
            switch result {
            case .success(let digest): entries.append(ChecksumEntry(algorithm: algorithm, digest: digest, path: file))
            case .failure(let error): throw error
            }
        }
        return ChecksumList(entries: entries)
    }

    /// The same, also written to `output` as a GNU `sha256sum`-style list (atomically) when one is given.
    public func create(files: [String], algorithm: DigestAlgorithm, output: String?) throws(HallmarkError) -> ChecksumList {
        let list = try create(files: files, algorithm: algorithm)
        if let output { try FileIO.writeAtomically(list.gnuData, to: try context.resolve(output)) }
        return list
    }

    /// Options of `--check`, named as in GNU coreutils.
    public struct CheckOptions: Sendable {
        public var algorithm: DigestAlgorithm = .sha256
        public var strict = false
        public var ignoreMissing = false
        public init(algorithm: DigestAlgorithm = .sha256, strict: Bool = false, ignoreMissing: Bool = false) {
            self.algorithm = algorithm
            self.strict = strict
            self.ignoreMissing = ignoreMissing
        }
    }

    /// The outcome of checking one list.
    public struct CheckReport: Codable, Sendable {
        public enum Status: String, Codable, Sendable {
            case ok = "OK"
            case failed = "FAILED"
            case unreadable = "FAILED open or read"
            case skipped = "SKIPPED"
        }

        public struct Line: Codable, Sendable {
            public var file: String
            public var displayName: String
            public var line: Int
            public var status: Status
            public var expected: String
            public var actual: String?
            public var error: String?
        }

        public var list: String
        public var algorithm: String
        public var lines: [Line]
        public var improperLines: [Int]
        public var strict: Bool
        public var ignoreMissing: Bool

        public var mismatched: Int { lines.filter { $0.status == .failed }.count }
        public var unreadable: Int { lines.filter { $0.status == .unreadable }.count }
        /// Files whose digest matched (GNU counts only these as "verified").
        public var verifiedCount: Int { lines.filter { $0.status == .ok }.count }
        /// True when no line was a checksum line at all.
        public var noProperLines: Bool { lines.isEmpty }

        /// Whether the list checks out, by GNU coreutils' rules.
        public var passed: Bool {
            if noProperLines { return false }
            if mismatched > 0 || unreadable > 0 { return false }
            if strict && !improperLines.isEmpty { return false }
            if ignoreMissing && verifiedCount == 0 { return false }
            return true
        }

        /// The warnings GNU prints to standard error, in its words.
        public var warnings: [String] {
            if noProperLines { return ["\(list): no properly formatted checksum lines found"] }
            var out: [String] = []
            let plural = { (n: Int, one: String, many: String) in n == 1 ? one : many }
            if !improperLines.isEmpty {
                out.append("WARNING: \(improperLines.count) \(plural(improperLines.count, "line is", "lines are")) improperly formatted")
            }
            if unreadable > 0 {
                out.append("WARNING: \(unreadable) listed \(plural(unreadable, "file", "files")) could not be read")
            }
            if mismatched > 0 {
                out.append("WARNING: \(mismatched) computed \(plural(mismatched, "checksum", "checksums")) did NOT match")
            }
            if ignoreMissing && verifiedCount == 0 { out.append("\(list): no file was verified") }
            return out
        }
    }

    /// Checks a list. Names are resolved against the working directory, as GNU does; a list that names an
    /// absolute path or climbs out with `..` is refused before anything is read.
    public func check(list: String, options: CheckOptions) throws(HallmarkError) -> CheckReport {
        let data = try FileIO.read(try context.resolve(list), display: list, limit: 256 << 20)
        let parsed = ChecksumList(parsing: data, algorithm: options.algorithm)
        for entry in parsed.entries {
            if let reason = RelativePath.unsafeReason(entry.path) {
                throw .invalidInput("\(list):\(entry.line): refusing \"\(entry.displayName)\": \(reason); checksum lists must name files inside the directory")
            }
            // Under a data directory, a name whose links lead out of it is refused like a name with `..`.
            _ = try context.resolve(entry.path)
        }
        return check(parsed, listName: list, baseDirectory: context.workingDirectory, options: options)
    }

    /// Checks parsed entries against files under `baseDirectory`.
    public func check(_ parsed: ChecksumList, listName: String, baseDirectory: String, options: CheckOptions) -> CheckReport {
        let paths = parsed.entries.map { (baseDirectory as NSString).appendingPathComponent($0.path) }
        let results = FileHasher.hexDigests(
            ofFilesAt: paths, algorithm: options.algorithm, displayNames: parsed.entries.map(\.path))
        var lines: [CheckReport.Line] = []
        for (entry, result) in zip(parsed.entries, results) {
            var line = CheckReport.Line(
                file: entry.path, displayName: entry.displayName, line: entry.line, status: .ok,
                expected: entry.digest, actual: nil, error: nil)
            switch result {
            case .success(let digest):
                line.actual = digest
                line.status = digest == entry.digest ? .ok : .failed
            case .failure(let error):
                let missing = !FileManager.default.fileExists(atPath: (baseDirectory as NSString).appendingPathComponent(entry.path))
                if options.ignoreMissing && missing { line.status = .skipped } else {
                    line.status = .unreadable
                    line.error = error.message
                }
            }
            lines.append(line)
        }
        return CheckReport(
            list: listName, algorithm: options.algorithm.rawValue, lines: lines, improperLines: parsed.improperLines,
            strict: options.strict, ignoreMissing: options.ignoreMissing)
    }
}
