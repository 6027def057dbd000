import ArgumentParser
import Foundation
import HallmarkCore
import HallmarkEngine

extension DigestAlgorithm: ExpressibleByArgument {}

struct ChecksumCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checksum",
        abstract: "Write or check sha256sum-style checksum lists.",
        discussion: """
            Writing prints GNU lines (`HEX  NAME`), sorted by name; `sha256sum -c` reads them. \
            Checking reads GNU and BSD-tag (`SHA256 (NAME) = HEX`) lines with GNU coreutils' rules, and refuses \
            lists that name absolute paths or climb out with `..`. Files are hashed in parallel.

            Examples:
              $ hallmark checksum dist/* --output checksums.txt
              $ hallmark checksum --check checksums.txt
              $ hallmark checksum --check SHA512SUMS --algorithm sha512 --ignore-missing --quiet
            """)

    @Argument(help: "Files to hash.")
    var files: [String] = []

    @Option(help: "sha256 (default) or sha512.")
    var algorithm: DigestAlgorithm = .sha256

    @Option(help: "Write the list to this file (atomically) instead of standard output.")
    var output: String?

    @Option(name: .customLong("check"), help: "Check the files named in this list.")
    var checkList: String?

    @Flag(help: "With --check: fail on improperly formatted lines.")
    var strict = false

    @Flag(help: "With --check: do not fail or report for missing files.")
    var ignoreMissing = false

    @Flag(help: "With --check: do not print OK lines.")
    var quiet = false

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        if checkList != nil && !files.isEmpty { throw ValidationError("--check takes the list only; do not name files too") }
        if checkList == nil && files.isEmpty { throw ValidationError("name files to hash, or --check LIST") }
        if checkList == nil && (strict || ignoreMissing || quiet) {
            throw ValidationError("--strict, --ignore-missing and --quiet apply to --check")
        }
    }

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            let checksums = Checksums(context: context)
            if let checkList {
                let report = try checksums.check(
                    list: checkList, options: .init(algorithm: algorithm, strict: strict, ignoreMissing: ignoreMissing))
                render(report)
                if !report.passed { throw HallmarkError.verificationFailed("") }
                return
            }
            let list = try checksums.create(files: files, algorithm: algorithm, output: output)
            if outputOptions.format == .json {
                try Terminal.printJSON(Listing(list))
            } else if output == nil {
                Terminal.writeOutput(list.gnuData)
            }
        }
    }

    struct Listing: Encodable {
        struct Entry: Encodable {
            var file: String
            var digest: String
        }
        var algorithm: String
        var files: [Entry]
        init(_ list: ChecksumList) {
            algorithm = list.entries.first?.algorithm.rawValue ?? "sha256"
            files = list.entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
                .map { Entry(file: $0.path, digest: $0.digest) }
        }
    }

    private func render(_ report: Checksums.CheckReport) {
        if outputOptions.format == .json {
            try? Terminal.printJSON(report)
            return
        }
        for line in report.lines {
            switch line.status {
            case .ok: if !quiet { Terminal.print("\(line.displayName): OK") }
            case .failed: Terminal.print("\(line.displayName): FAILED")
            case .unreadable:
                Terminal.warning(line.error ?? "\(line.file): cannot be read")
                Terminal.print("\(line.displayName): FAILED open or read")
            case .skipped: break
            }
        }
        for warning in report.warnings { Terminal.warning(warning) }
    }
}
