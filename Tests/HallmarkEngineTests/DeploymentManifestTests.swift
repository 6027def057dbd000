import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkTestSupport
import Testing

@testable import HallmarkEngine

/// `NAME.endpoint-deployment.json`: written by the release when the config has a `deployments:` block, bound to
/// index.json by its digest, and checked by the metadata cross-check.
@Suite("The endpoint deployment manifest: written after index.json, checked by verify")
struct DeploymentManifestTests {
    static func config(firstPlatform: String = "linux/amd64", approvers: Bool = false) -> String {
        StepFixture.config + """

            deployments:
              rings: [canary, production]
              targets:
                - {id: runner, surface: ci-runner, platform: \(firstPlatform), prefix: /usr/local, ring: canary}
                - {id: laptop, surface: workstation, platform: windows/amd64, prefix: ~/.local, channel: beta, ring: production}
              controls:
                soak: {canary: 1h}
                max_parallel: 5
            \(approvers ? "    approvals: {required: 1, approvers: [keys/alice.pub]}\n" : "")    smoke: tiny --version

            """
    }

    @Test func theStepBindsTargetsToArchivesAndTheIndex() throws {
        var fixture = try StepFixture(config: Self.config(approvers: true))
        let key = try PrivateKey.generate(.ed25519)
        _ = try fixture.checkout.write("src/keys/alice.pub", key.publicKey.pemText)
        try fixture.run(StepFixture.throughFacts)
        _ = try fixture.run(IndexStep())
        #expect(try fixture.run(DeploymentStep()) == "2 targets in 2 rings")
        let manifest = try fixture.staged(EndpointDeployment.self, "tiny.endpoint-deployment.json")
        try manifest.validate(source: "m")
        #expect(manifest.index.sha256 == fixture.state.files.records[ReleaseIndex.fileName]?.sha256)
        let artifacts = try #require(fixture.state.artifacts?.map(\.indexEntry))
        #expect(manifest.targets.map(\.artifact.file) == ["linux/amd64", "windows/amd64"].map { p in artifacts.first { $0.platform.description == p }!.file })
        #expect(manifest.targets[1].channel == "beta" && manifest.targets[1].surface == "workstation")
        #expect(manifest.controls.approvals == .init(required: 1, approvers: [key.publicKey.keyID]))
        #expect(manifest.controls.soakSeconds == ["canary": 3_600] && manifest.controls.smoke == "tiny --version")
        // index.json names the manifest among its metadata.
        let index = try fixture.staged(ReleaseIndex.self, ReleaseIndex.fileName)
        #expect(index.metadata.contains("tiny.endpoint-deployment.json"))
    }

    @Test func aTargetTheReleaseDoesNotBuildStopsTheRelease() throws {
        var fixture = try StepFixture(config: Self.config(firstPlatform: "linux/riscv64"))
        try fixture.run(StepFixture.throughFacts)
        _ = try fixture.run(IndexStep())
        #expect { _ = try fixture.run(DeploymentStep()) } throws: {
            ($0 as? HallmarkError)?.message.contains("linux/riscv64, which this release does not build") == true
        }
    }

    @Test func theCrossCheckNamesAManifestBoundToAnotherIndexOrArchive() throws {
        var fixture = try StepFixture(config: Self.config())
        try fixture.run(StepFixture.throughFacts)
        _ = try fixture.run(IndexStep())
        _ = try fixture.run(DeploymentStep())
        let staging = try #require(fixture.state.workspace?.staging)
        let name = "tiny.endpoint-deployment.json"
        func crossCheck() throws -> MetadataCrossCheck.Outcome {
            var expected: [String: String] = [:]
            for artifact in fixture.state.artifacts?.map(\.indexEntry) ?? [] { expected[artifact.file] = artifact.sha256 }
            for file in [ReleaseIndex.fileName, name] {
                expected[file] = Hex.encode(SHA256Hasher.hash(try Data(contentsOf: URL(fileURLWithPath: staging + "/" + file))))
            }
            return MetadataCrossCheck.run(root: staging, expected: expected, keys: [], complete: false)
        }
        let clean = try crossCheck()
        #expect(clean.checked.contains(name) && clean.problems.isEmpty, "\(clean.problems)")
        // Another archive digest for one target, and a manifest bound to another index.json.
        var manifest = try fixture.staged(EndpointDeployment.self, name)
        manifest.targets[0].artifact.sha256 = String(repeating: "0", count: 64)
        manifest.index.sha256 = String(repeating: "1", count: 64)
        try CanonicalJSON.prettyData(manifest).write(to: URL(fileURLWithPath: staging + "/" + name))
        let tampered = try crossCheck()
        #expect(tampered.problems.contains { $0.message.contains("bound to an index.json") && $0.code == .metadataMismatch })
        #expect(tampered.problems.contains { $0.message.contains("target runner") && $0.code == .metadataMismatch })
    }
}
