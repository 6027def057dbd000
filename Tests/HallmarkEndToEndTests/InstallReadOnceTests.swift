import Foundation
import HallmarkTestSupport
import Testing

/// Rollback restores the bytes it checked: the backup is hashed as it is copied into place, not read twice.
@Suite("hallmark rollback checks the bytes it restores")
struct InstallReadOnceTests {
    @Test("A changed backup is refused and nothing moves; the original backup rolls back")
    func changedBackupIsRefused() throws {
        let project = try InstallCommandTests.releases()
        let prefix = project.dir.url("prefix")
        let key = project.dir.url("release.pub")
        for version in ["v1.0.0", "v1.1.0"] {
            let result = try ProcessRunner.hallmark(
                ["upgrade", "--index", project.root + "/dist/\(version)/index.json", "--key", key, "--prefix", prefix])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let backup = prefix + "/lib/hallmark/backup/greet"
        let original = try Data(contentsOf: URL(fileURLWithPath: backup))
        let installed = try Data(contentsOf: URL(fileURLWithPath: prefix + "/bin/greet"))
        try (original + Data("#".utf8)).write(to: URL(fileURLWithPath: backup))
        let refused = try ProcessRunner.hallmark(["rollback", "--prefix", prefix, "--name", "greet"])
        #expect(refused.status == 1 && refused.stderr.contains("the backup was changed"), "\(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: prefix + "/bin/greet")) == installed)
        #expect(try FileManager.default.contentsOfDirectory(atPath: prefix + "/bin") == ["greet"], "no staged copy left behind")
        try original.write(to: URL(fileURLWithPath: backup))
        let rolledBack = try ProcessRunner.hallmark(["rollback", "--prefix", prefix, "--name", "greet"])
        #expect(rolledBack.status == 0, "\(rolledBack.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: prefix + "/bin/greet")) == original)
        #expect(try Data(contentsOf: URL(fileURLWithPath: backup)) == installed)
        #expect(try ProcessRunner.run(prefix + "/bin/greet", ["--version"]).stdout.contains("v1.0.0"))
    }
}
