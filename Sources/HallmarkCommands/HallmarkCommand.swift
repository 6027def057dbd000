import ArgumentParser
import Foundation
import HallmarkCore
import HallmarkEngine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The root `hallmark` command.
public struct HallmarkCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "hallmark",
        abstract: "Build, sign, describe and verify software releases that anyone can check offline.",
        discussion: """
            Exit codes: 0 success or verified, 1 verification failed, 2 usage or input error.

            Examples:
              $ hallmark keys generate --out release
              $ hallmark init && hallmark release --version v0.1.0 --dry-run
              $ hallmark release --version v1.0.0 --key release.key
              $ hallmark verify dist/v1.0.0 --key release.pub
              $ hallmark verify-bundle --bundle app.sigstore.json --certificate-identity ID --certificate-oidc-issuer ISS app.tar.gz
              $ hallmark publish dist/v1.0.0 --to oci://registry.example.com/acme/greet
              $ hallmark verify-remote oci://registry.example.com/acme/greet:v1.0.0 --key release.pub
              $ hallmark install --index https://example.com/greet/v1.0.0/index.json --key release.pub --prefix ~/.local
              $ hallmark rollout capture dist/v1.0.0 --deployment-id greet-1.0.0 --change-record CHG-123 --key release.key
            """,
        version: VersionInfo.releaseVersion,
        subcommands: [VersionCommand.self, InitCommand.self],
        groupedSubcommands: [
            CommandGroup(
                name: "Release",
                subcommands: [
                    ReleaseCommand.self, RebuildCommand.self, VersionGuardCommand.self, SummaryCommand.self,
                    ChecksumCommand.self, SignCommand.self,
                ]),
            CommandGroup(
                name: "Verify",
                subcommands: [
                    VerifyCommand.self, VerifyRemoteCommand.self, VerifyBundleCommand.self, VerifyProvenanceCommand.self,
                    VerifyVSACommand.self, VerifyBlobCommand.self, VerifyAttestationCommand.self,
                ]),
            CommandGroup(
                name: "Distribute",
                subcommands: [
                    PublishCommand.self, InstallCommand.self, UpgradeCommand.self, RollbackCommand.self,
                    InstalledCommand.self, AirGapCommand.self,
                ]),
            CommandGroup(
                name: "Govern rollouts",
                subcommands: [
                    RolloutCommand.self, PromoteCommand.self, ReadinessCommand.self, EvidenceCommand.self, AuditCommand.self,
                    StoreCommand.self, ServeCommand.self,
                ]),
            CommandGroup(name: "Trust", subcommands: [TrustCommand.self]),
            CommandGroup(name: "Keys and signing", subcommands: [KeysCommand.self, SignBlobCommand.self, AttestCommand.self]),
        ]
    )

    public init() {}

    /// Runs the command line and exits with Hallmark's documented codes (usage errors exit 2, not 64).
    public static func main(_ arguments: [String]? = nil) async -> Never {
        do {
            var command = try parseAsRoot(arguments)
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
            terminate(0)
        } catch let code as ExitCode {
            terminate(code.rawValue)
        } catch {
            let exitCode = exitCode(for: error)
            if exitCode == .success {
                print(fullMessage(for: error))
                terminate(0)
            }
            let message = fullMessage(for: error)
            Terminal.writeError(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
            terminate(exitCode == .validationFailure ? 2 : exitCode.rawValue)
        }
    }
}

/// `--format text|json`, shared by every command that reports.
struct OutputOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(name: .long, help: "Output format: text for people, json for machines.")
    var format: Format = .text
}

/// Maps library errors to one stderr line and an exit code, and prints reports.
enum Terminal {
    static func error(_ message: String) {
        writeError(Data("hallmark: error: \(oneLine(message))\n".utf8))
    }

    static func warning(_ message: String) {
        writeError(Data("hallmark: \(oneLine(message))\n".utf8))
    }

    /// `text` with every control character (C0, DEL, C1) and bidirectional override escaped as `\u{…}` (`\n`,
    /// `\r`, `\t` by name): messages quote names from archives, indexes and servers, which must not move the
    /// cursor, print a second line or reorder what the terminal shows.
    static func oneLine(_ text: String, keepingNewlines: Bool = false) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A where keepingNewlines, 0x09 where keepingNewlines: out.unicodeScalars.append(scalar)
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069:
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Writes to standard error; a closed one (e.g. `2>&1 | head -1`) loses the text but stops nothing.
    static func writeError(_ data: Data) {
        _ = writeAll(data, to: 2)
    }

    /// Writes to standard output. When the reader has gone (`| head -1`), the process ends quietly with 141, as
    /// a program that SIGPIPE ends would (SIGPIPE itself is ignored so that helper programs cannot kill us).
    static func writeOutput(_ data: Data) {
        if !writeAll(data, to: 1) { terminate(141) }
    }

    /// write(2) until every byte is out; false on an error (EPIPE, EBADF…), which Foundation's FileHandle.write
    /// would turn into a crash.
    private static func writeAll(_ data: Data, to descriptor: Int32) -> Bool {
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }

    /// The exit code for a library error: 1 when something was checked and found wrong, 2 otherwise.
    static func exitCode(for error: HallmarkError) -> Int32 {
        error.code == .verificationFailed ? 1 : 2
    }

    /// Runs `body` with the command line's engine context, turning a `HallmarkError` into a one-line message
    /// (with its problem code, when it has one) and its exit code. With `--format json` a thrown error is also
    /// printed as a JSON report on stdout (`verified: false` and the error's code). The context's HTTP clients
    /// are shut down before it returns.
    static func run(
        format: OutputOptions.Format = .text, _ body: (EngineContext) async throws(HallmarkError) -> Void
    ) async throws(ExitCode) {
        let context = EngineContext.commandLine()
        let failure: HallmarkError?
        do {
            try await body(context)
            failure = nil
        } catch {
            failure = error
        }
        await context.close()
        if let failure {
            report(failure, format: format)
            throw ExitCode(exitCode(for: failure))
        }
    }

    /// A thrown error, as one stderr line; with JSON also as `{schemaVersion, verified: false, error}` on stdout.
    /// An empty message means the command already reported the failure itself.
    private static func report(_ error: HallmarkError, format: OutputOptions.Format) {
        guard !error.message.isEmpty else { return }
        Terminal.error(error.message + (error.problem.map { " [\($0.rawValue)]" } ?? ""))
        if format == .json {
            struct Failure: Encodable {
                struct Detail: Encodable {
                    var kind: String
                    var code: String?
                    var message: String
                }

                var schemaVersion = VerificationReportSchema.version
                var verified = false
                var error: Detail
            }
            do {
                Terminal.writeOutput(try CanonicalJSON.prettyData(Failure(error: .init(
                    kind: error.code.rawValue, code: error.problem?.rawValue, message: error.message))))
            } catch {
                return
            }
        }
    }

    /// Every problem as a `LABEL: [FILE: ]MESSAGE [code]` line on stdout.
    static func printProblems(_ problems: [VerificationProblem], label: String = "problem") {
        for problem in problems {
            let file = problem.file.map { "\($0): " } ?? ""
            let message = problem.message.hasPrefix(file) ? problem.message : file + problem.message
            print("\(label): \(oneLine(message)) [\(problem.code.rawValue)]")
        }
    }

    /// The error a failed verification ends with: its first problem in one line (empty for JSON, whose report
    /// already says it all).
    static func failed(_ problems: [VerificationProblem], subject: String, format: OutputOptions.Format) -> HallmarkError {
        guard format == .text else { return HallmarkError(.verificationFailed, "", problem: problems.first?.code) }
        let first = problems.first
        let more = problems.count > 1 ? " (and \(problems.count - 1) more)" : ""
        return HallmarkError(
            .verificationFailed, "\(subject): verification FAILED: \(first?.message ?? "?")\(more)", problem: first?.code)
    }

    /// The version of every JSON document a command prints; a change that breaks readers raises it.
    static let jsonSchemaVersion = 1

    /// Prints a value as pretty, sorted JSON carrying `schemaVersion`: an object gets the field (unless it has
    /// one); with `key` (or for a value that is not an object) the value goes under `key` beside it.
    static func printJSON(_ value: some Encodable, under key: String? = nil) throws(HallmarkError) {
        do {
            let encoded = try JSONValue(parsing: try CanonicalJSON.prettyData(value))
            let document: JSONValue
            switch (encoded, key) {
            case (.object(var object), nil):
                if object["schemaVersion"] == nil { object["schemaVersion"] = .number(String(jsonSchemaVersion)) }
                document = .object(object)
            default:
                document = .object(["schemaVersion": .number(String(jsonSchemaVersion)), key ?? "value": encoded])
            }
            Terminal.writeOutput(try CanonicalJSON.prettyData(document))
        } catch let error as HallmarkError {
            throw error
        } catch {
            throw .io("cannot encode output: \(error)")
        }
    }

    /// Prints `line` (which may hold several lines and tabs: a PEM key, a JSON document, a minisign trusted
    /// comment) with every other control
    /// character escaped; a value from outside that must stay on its line goes through ``oneLine(_:)`` first.
    static func print(_ line: String) {
        writeOutput(Data((oneLine(line, keepingNewlines: true) + "\n").utf8))
    }
}

/// Ends the process with `code`.
private func terminate(_ code: Int32) -> Never {
    #if canImport(Glibc)
    Glibc.exit(code)
    #else
    Darwin.exit(code)
    #endif
}
