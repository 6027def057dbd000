import ArgumentParser
import Foundation
import HallmarkCore
import HallmarkEngine

/// Options `install` and `upgrade` share.
struct InstallOptions: ParsableArguments {
    @Option(help: "An archive (.tar.gz or .zip) to install from.")
    var from: String?

    @Option(help: "A release's index.json (a file, an http(s) URL, or oci://HOST/REPO:TAG) to install from; the archive beside it is picked by platform.")
    var index: String?

    @Option(help: "With --index: the os/arch to install (default: this machine's).")
    var platform: String?

    @Option(help: "With --from: the archive's expected sha256.")
    var sha256: String?

    @Option(parsing: .singleValue, help: "Trusted public key (PEM, minisign or signify); signatures beside the files must verify (repeatable).")
    var key: [String] = []

    @Flag(help: "Refuse anything without a valid signature by a --key.")
    var requireSignature = false

    @Option(help: "Install into PREFIX/bin.")
    var prefix: String = "/usr/local"

    @Option(help: "The binary's name (default: the archive's one executable, or the index's binary).")
    var name: String?

    @Option(help: "The version being installed (default: the index's).")
    var version: String?

    @Option(help: "A command to run after installing (PATH starts with PREFIX/bin); on failure the install is rolled back.")
    var smoke: String?

    @Flag(help: "Replace an installed binary, even with the same digest.")
    var force = false

    @Flag(help: "Allow installing an older version over a newer one.")
    var allowDowngrade = false

    @Flag(help: "Unsafe: install without authenticating the bytes (no --key, no --sha256); recorded as unverified.")
    var insecureSkipVerify = false

    @OptionGroup var registry: RegistryOptions

    func request(upgrade: Bool) throws(HallmarkError) -> Installer.Request {
        var platform: Platform?
        if let text = self.platform { platform = try Platform(parsing: text) }
        var request = Installer.Request(
            from: from, index: index, platform: platform, sha256: sha256, keys: key, requireSignature: requireSignature, prefix: prefix,
            name: name, version: version, smoke: smoke, force: force, allowDowngrade: allowDowngrade, upgrade: upgrade)
        request.registry = try registry.access()
        request.insecureSkipVerify = insecureSkipVerify
        return request
    }
}

enum InstallReport {
    static func print(_ result: Installer.Result, format: OutputOptions.Format) throws(HallmarkError) {
        if !result.verified {
            Terminal.warning("WARNING: \(result.path) is now a binary whose bytes were not authenticated [\(ProblemCode.installUnauthenticated.rawValue)]")
        }
        switch format {
        case .json: try Terminal.printJSON(result)
        case .text:
            for note in result.notes { Terminal.print("  \(Terminal.oneLine(note))") }
            let versions = [result.previousVersion.map { "\($0) → " } ?? "", result.version ?? "unknown version"].joined()
            Terminal.print(Terminal.oneLine("\(result.action) \(result.name) (\(versions)) at \(result.path), sha256 \(result.sha256.prefix(16))…"))
        }
    }
}

struct InstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install a verified binary from an archive or a release index, or change nothing.",
        discussion: """
            Everything is verified before PREFIX is touched: the archive's sha256 (--sha256, or the index's), the \
            signatures beside the index and the archive (FILE.sig or FILE.minisig) with --key, the archive's \
            members (no traversal, links or bombs), and the binary's sha256 against the index. The bytes must be \
            authenticated: --key (a signature), --sha256 (a digest from a channel you trust), or --index with \
            --key (a signed index); a plain http:// source needs a signature. --insecure-skip-verify installs \
            anyway and records the install as unverified (`installed` shows it). Then the previous \
            binary is backed up (PREFIX/lib/hallmark/backup/NAME) and the new one replaces it with one rename. \
            Replacing an installed binary needs --force (or use `upgrade`); --smoke runs a command and rolls back \
            when it fails. State: PREFIX/lib/hallmark/installed.json.

            Examples:
              $ hallmark install --index dist/v1.4.0/index.json --key release.pub --require-signature --prefix ~/.local
              $ hallmark install --index oci://registry.example.com/acme/greet:v1.4.0 --key release.pub --require-signature
              $ hallmark install --from greet_1.4.0_linux_amd64.tar.gz --sha256 9f2c… --prefix /opt/tools --smoke "greet --version"
            """)

    @OptionGroup var options: InstallOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            try InstallReport.print(try await Installer(context: context).install(try options.request(upgrade: false)), format: output.format)
        }
    }
}

struct UpgradeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Upgrade an installed binary (or install it fresh), verified, with backup and rollback.",
        discussion: """
            Like install, but replacing the installed binary is the point: a newer version replaces it, an older \
            one is refused unless --allow-downgrade, the same version needs --force. When nothing is installed it \
            installs fresh and says so.

            Examples:
              $ hallmark upgrade --index https-mirror/v1.5.0/index.json --key release.pub --prefix ~/.local --smoke "greet --version"
            """)

    @OptionGroup var options: InstallOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            try InstallReport.print(try await Installer(context: context).install(try options.request(upgrade: true)), format: output.format)
        }
    }
}

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Put the previous version of an installed binary back; `rollback request` asks to reverse a promotion.",
        discussion: """
            Restores PREFIX/lib/hallmark/backup/NAME (after checking its sha256 against the state file) and keeps \
            the current binary as the new backup, so a second rollback undoes the first. `hallmark rollback request` \
            asks, in the evidence log, to reverse a promotion execution (see hallmark promote).

            Examples:
              $ hallmark rollback --prefix ~/.local --name greet
              $ hallmark rollback request px-5b7e… --to v1.1.0 --key release.key --reason "error rate"
            """,
        subcommands: [RollbackRequestCommand.self])

    @Option(help: "The prefix the binary is installed in.")
    var prefix: String = "/usr/local"

    @Option(help: "The binary's name (required).")
    var name: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard let name else { throw ValidationError("Missing expected argument '--name <name>'") }
        try await Terminal.run { context async throws(HallmarkError) in
            try InstallReport.print(try Installer(context: context).rollback(prefix: prefix, name: name), format: output.format)
        }
    }
}

struct InstalledCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "installed",
        abstract: "List the binaries Hallmark installed in a prefix: version, source, digest.",
        discussion: """
            Examples:
              $ hallmark installed --prefix ~/.local
              $ hallmark installed --prefix ~/.local --format json
            """)

    @Option(help: "The prefix.")
    var prefix: String = "/usr/local"

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            let state = try Installer(context: context).installed(prefix: prefix)
            switch output.format {
            case .json: try Terminal.printJSON(state)
            case .text:
                if state.binaries.isEmpty { Terminal.print("nothing installed in \(prefix)") }
                for (name, entry) in state.binaries.sorted(by: { $0.key < $1.key }) {
                    Terminal.print(Terminal.oneLine("\(name)  \(entry.version ?? "unknown")  \(entry.sha256.prefix(16))…  from \(entry.source)")
                        + (entry.verified == false ? "  UNVERIFIED (its bytes were not authenticated)" : "")
                        + (entry.previous.map { "  (backup: \($0.version ?? "unknown"))" } ?? ""))
                }
            }
        }
    }
}
