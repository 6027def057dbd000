import Foundation
import HallmarkTestSupport
import Testing

/// The console in a real browser: Debian's headless chromium driven through chromium-driver by selenium
/// (Tests/Browser/console_flow.py), from sign-in and search through a promotion and a rollback, with a screenshot
/// of each page (`HALLMARK_SCREENSHOTS=DIR` keeps them; docs/console/ holds the committed ones).
@Suite("hallmark serve console (chromium)")
struct ConsoleBrowserTests {
    @Test("Sign in, search, a rollout's files, request, two signed decisions, execute, roll back")
    func flow() throws {
        let world = try ServeTests.World()
        // v1.0.0 already ran on canary (so there is a version to roll back to); v1.1.0 is captured, not yet promoted.
        let request = String(try world.hallmark(["promote", "request", world.rollout, "--target-ring", "canary", "--key", "keys/release.key"]).stdout.split(separator: " ").first ?? "")
        for key in ["keys/alice.key", "keys/bob.key"] { #expect(try world.hallmark(["promote", "approve", request, "--key", key]).status == 0) }
        #expect(try world.hallmark(["promote", "execute", request, "--key", "keys/release.key"]).status == 0)
        let captured = try world.hallmark([
            "rollout", "capture", "v1.1.0", "--deployment-id", "served-2", "--change-record", "CHG-601", "--key", "keys/release.key", "--out", "roots/served-2",
        ])
        #expect(captured.status == 0, "\(captured.stderr)")
        #expect(try world.hallmark(["rollout", "verify", "roots/served-2", "--key", "keys/release.pub"]).status == 0)

        let server = try world.serve()
        let shots = ProcessInfo.processInfo.environment["HALLMARK_SCREENSHOTS"] ?? world.dir.url("screenshots")
        let run = try ProcessRunner.run(
            TestPaths.serveTestVenv + "/python", [TestPaths.packageRoot + "/Tests/Browser/console_flow.py", server.base, world.tokens["ops"]!, TestPaths.binary, world.dir.path, shots],
            environment: ["HOME": world.dir.path])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr.suffix(4000))")
        for page in ["login", "search", "evidence", "request", "request-approved", "execution", "rollback-request", "rollback-execution"] {
            #expect(FileManager.default.fileExists(atPath: shots + "/\(page).png"), "\(page).png")
        }
        #expect(try world.hallmark(["audit", "verify"]).status == 0)
    }
}
