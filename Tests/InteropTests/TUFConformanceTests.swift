import Foundation
import HallmarkTestSupport
import Testing

/// The tuf-conformance suite (python-tuf's project's client conformance tests, a simulated repository on a
/// loopback port) drives `hallmark trust conformance-client` through scripts/tuf-conformance.sh. Every test must
/// pass: there is no expected-failures file.
@Suite struct TUFConformanceTests {
    @Test("tuf-conformance: all 113 tests pass against hallmark's TUF client")
    func conformanceSuite() throws {
        let script = TestPaths.packageRoot + "/scripts/tuf-conformance.sh"
        #expect(!FileManager.default.fileExists(atPath: TestPaths.packageRoot + "/scripts/tuf-conformance-client.xfails"))
        let result = try ProcessRunner.run("bash", [script], in: TestPaths.packageRoot, environment: ["HALLMARK_BIN": TestPaths.binary])
        let summary = result.stdout.split(separator: "\n").last { $0.hasPrefix("tuf-conformance:") }.map(String.init)
        #expect(result.status == 0, "\(result.stdout.suffix(4000))\(result.stderr.suffix(2000))")
        #expect(summary == "tuf-conformance: 113 passed, 0 failed, 0 skipped", "\(result.stdout.suffix(4000))")
    }
}
