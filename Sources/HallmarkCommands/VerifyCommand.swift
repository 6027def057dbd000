import ArgumentParser
import HallmarkCore
import Foundation
import HallmarkEngine

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a release directory: checksums, signatures, and no unlisted files.",
        discussion: """
            Every file in checksums.txt must exist and match, no other file may hide in the directory, and every \
            file (and checksums.txt) must carry a signature by a trusted --key. --allow-unsigned checks the \
            checksums alone (no signature is checked, so it cannot be combined with --key). Problems carry stable \
            codes (file.modified, signature.invalid, file.unlisted…; DESIGN.md lists them).

            Examples:
              $ hallmark verify dist/v1.4.0 --key release.pub
              $ hallmark verify dist/v1.4.0 --key release.pub --format json
              $ hallmark verify mirror/v1.4.0 --allow-unsigned
            """)

    @Argument(help: "The release directory.")
    var directory: String

    @Option(parsing: .singleValue, help: "Trusted public key: a path or env://VAR (repeatable).")
    var key: [String] = []

    @Flag(help: "Require a valid signature on every file (the default).")
    var requireSignatures = false

    @Flag(help: "Accept a release without signatures (checksums only).")
    var allowUnsigned = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if requireSignatures && allowUnsigned {
            throw ValidationError("--require-signatures and --allow-unsigned contradict each other; pass one")
        }
    }

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let keys = try KeyResolver(context: context).publicKeys(key)
            let report = try ReleaseVerification(context: context).verify(
                directory: directory, keys: keys, policy: allowUnsigned ? .allowUnsigned : .required)
            switch output.format {
            case .json: try Terminal.printJSON(report)
            case .text: ReportTable.print(report)
            }
            if !report.verified { throw Terminal.failed(report.problems, subject: directory, format: output.format) }
        }
    }
}

/// The text table `hallmark verify` prints.
enum ReportTable {
    static func print(_ report: ReleaseVerification.Report) {
        let rows = report.files.map { file in
            [file.status.rawValue, Terminal.oneLine(file.name), file.sha256.map { String($0.prefix(16)) } ?? "-",
             file.signature.rawValue + (file.keyId.map { " (\($0.prefix(12)))" } ?? "")]
        }
        let header = ["STATUS", "FILE", "SHA256", "SIGNATURE"]
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        Terminal.print(line(header))
        for row in rows { Terminal.print(line(row)) }
        Terminal.printProblems(report.problems)
        if report.verified {
            let signed = report.files.filter { $0.signature == .verified }.count
            Terminal.print("verified: \(report.files.count) files, \(signed) signatures by trusted keys")
        }
    }
}
