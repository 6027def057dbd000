import Foundation
import HallmarkTestSupport
import Testing

/// The fuzzing harness's targets, their committed seeds, and the inputs fuzzing found (Fuzz/regressions/TARGET/),
/// replayed through every parser without the fuzzer: none may crash.
@Suite struct FuzzCorpusTests {
    static var replay: String { (TestPaths.binary as NSString).deletingLastPathComponent + "/hallmark-fuzz" }

    static func directories(_ name: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: TestPaths.packageRoot + "/Fuzz/" + name)) ?? []).sorted()
    }

    @Test("Every fuzz target has committed seeds, and every seed directory is a target")
    func targetsHaveSeeds() throws {
        let usage = try ProcessRunner.run(Self.replay, []).stdout
        let listed = try #require(usage.split(separator: "(").dropFirst().first?.split(separator: ")").first)
        let targets = listed.replacingOccurrences(of: "targets: ", with: "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.sorted()
        #expect(targets.count >= 20)
        #expect(targets == Self.directories("corpus"), "\(targets) vs \(Self.directories("corpus"))")
    }

    @Test("The seeds and every past finding parse without a crash")
    func replaysWithoutCrashing() throws {
        for kind in ["corpus", "regressions"] {
            for target in Self.directories(kind) {
                let folder = TestPaths.packageRoot + "/Fuzz/\(kind)/\(target)"
                let files = (try FileManager.default.contentsOfDirectory(atPath: folder)).sorted().map { folder + "/" + $0 }
                guard !files.isEmpty else { continue }
                let result = try ProcessRunner.run(Self.replay, [target] + files)
                #expect(result.status == 0, "\(kind)/\(target): \(result.stdout)\(result.stderr)")
            }
        }
    }
}
