import Foundation
import HallmarkCrypto
import HallmarkTestSupport
import Testing

/// How the command line reads: grouped root help, discussions that wrap at any width, and a `schemaVersion` in
/// every JSON document a command prints.
@Suite("Help text and JSON output")
struct HelpAndJSONTests {
    /// Every subcommand the root help lists, nested ones included (`keys generate`, `air-gap verify`…).
    static func commands() throws -> [[String]] {
        func listed(_ help: String) -> [String] {
            var names: [String] = []
            var inList = false
            for line in help.components(separatedBy: "\n") {
                if line.hasSuffix("SUBCOMMANDS:") { inList = true; continue }
                if line.isEmpty { inList = false; continue }
                if inList, line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first {
                    names.append(String(name))
                }
            }
            return names
        }
        var all: [[String]] = []
        for name in listed(try ProcessRunner.hallmark(["--help"]).stdout) where name != "help" {
            all.append([name])
            for sub in listed(try ProcessRunner.hallmark([name, "--help"]).stdout) where sub != "help" { all.append([name, sub]) }
        }
        return all
    }

    @Test("The root help groups the subcommands")
    func rootHelpIsGrouped() throws {
        let help = try ProcessRunner.hallmark(["--help"]).stdout
        for group in ["RELEASE SUBCOMMANDS:", "VERIFY SUBCOMMANDS:", "DISTRIBUTE SUBCOMMANDS:", "TRUST SUBCOMMANDS:", "KEYS AND SIGNING SUBCOMMANDS:"] {
            #expect(help.contains(group), "\(group)")
        }
        let commands = try Self.commands()
        #expect(commands.count > 30)
        #expect(commands.contains(["keys", "generate"]) && commands.contains(["verify-remote"]))
    }

    @Test("Discussions are paragraphs: at any width a paragraph is one line, with no break inside a sentence")
    func discussionsWrapCleanly() throws {
        for command in try Self.commands() {
            let help = try ProcessRunner.hallmark(command + ["--help"], environment: ["COLUMNS": "5000"]).stdout
            var previous = ""
            for line in help.components(separatedBy: "\n") {
                if line.hasPrefix("USAGE:") { break }
                let prose = !line.isEmpty && !line.hasPrefix(" ")
                let previousProse = !previous.isEmpty && !previous.hasPrefix(" ") && !previous.hasSuffix(":")
                #expect(
                    !(prose && previousProse) || line.hasPrefix("- "),
                    "hallmark \(command.joined(separator: " ")): a hard line break after \"\(previous.suffix(40))\"")
                previous = line
            }
        }
    }

    @Test("Every --format json document carries schemaVersion")
    func jsonCarriesSchemaVersion() throws {
        let dir = try TemporaryDirectory()
        let key = try PrivateKey.generate(.ed25519)
        _ = try dir.write("k.key", try key.pemText(passphrase: nil))
        _ = try dir.write("file.txt", "hello\n")
        let runs: [[String]] = [
            ["version", "--format", "json"],
            ["keys", "id", "k.key", "--format", "json"],
            ["checksum", "file.txt", "--format", "json"],
            ["sign-blob", "file.txt", "--key", "k.key", "--json"],
            ["installed", "--prefix", dir.url("prefix"), "--format", "json"],
            ["verify", "missing-directory", "--format", "json"],
        ]
        for arguments in runs {
            let result = try ProcessRunner.hallmark(arguments, in: dir.path)
            let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any]
            #expect(object?["schemaVersion"] as? Int == 1, "hallmark \(arguments.joined(separator: " ")): \(result.stdout) \(result.stderr)")
        }
    }

    @Test("Log lines go to standard error, and only at the level HALLMARK_LOG_LEVEL asks for")
    func logLevel() throws {
        let dir = try TemporaryDirectory()
        let key = try PrivateKey.generate(.ed25519)
        _ = try dir.write("k.key", try key.pemText(passphrase: nil))
        _ = try dir.write("rel/a.txt", "a\n")
        #expect(try ProcessRunner.hallmark(["sign", "rel", "--key", "k.key"], in: dir.path).status == 0)
        let quiet = try ProcessRunner.hallmark(["publish", "rel", "--to", "file://" + dir.url("pub")], in: dir.path)
        #expect(quiet.status == 0 && !quiet.stderr.contains("debug"))
        let verbose = try ProcessRunner.hallmark(
            ["publish", "rel", "--to", "file://" + dir.url("pub"), "--force"], in: dir.path, environment: ["HALLMARK_LOG_LEVEL": "debug"])
        #expect(verbose.status == 0)
        #expect(verbose.stderr.contains("debug") && verbose.stderr.contains("publishing"), "\(verbose.stderr)")
        #expect(!verbose.stdout.contains("publishing"))
    }
}
