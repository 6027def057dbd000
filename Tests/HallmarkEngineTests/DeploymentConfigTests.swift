import Foundation
import HallmarkCore
import HallmarkEngine
import Testing

@Suite("hallmark.yml deployments: targets, rings and controls, read strictly")
struct DeploymentConfigTests {
    static let base = """
        version: 1
        project: {name: greet}
        builds:
          - {id: greet, binary: greet, command: make, targets: [linux/amd64]}

        """

    static let block = """
        deployments:
          rings: [canary, staging, production]
          targets:
            - {id: github-actions-linux-amd64-runner, surface: ci-runner, platform: linux/amd64, prefix: /usr/local, channel: stable, ring: canary}
            - {id: dev-workstation-linux-amd64, surface: workstation, platform: linux/amd64, prefix: ~/.local, ring: staging}
          controls:
            soak: {canary: 0s, staging: 1h30m}
            max_parallel: 10
            approvals: {required: 2, approvers: [keys/alice.pub, keys/bob.pub, keys/carol.pub]}
            smoke: "greet --version"
        """

    func message(_ block: String) -> String? {
        do {
            _ = try ConfigLoader().parse(Self.base + block, source: "hallmark.yml")
            return nil
        } catch {
            return error.message
        }
    }

    @Test func readsTheBlock() throws {
        let config = try ConfigLoader().parse(Self.base + Self.block, source: "hallmark.yml")
        let deployments = try #require(config.deployments)
        #expect(deployments.rings == ["canary", "staging", "production"])
        #expect(deployments.targets.map(\.id) == ["github-actions-linux-amd64-runner", "dev-workstation-linux-amd64"])
        #expect(deployments.targets[0].surface == .ciRunner && deployments.targets[1].surface == .workstation)
        #expect(deployments.targets[1].channel == "stable" && deployments.targets[1].prefix == "~/.local")
        #expect(deployments.targets[0].platform == Platform(os: "linux", arch: "amd64"))
        #expect(deployments.controls.soakSeconds == ["canary": 0, "staging": 5_400])
        #expect(deployments.controls.maxParallel == 10)
        #expect(deployments.controls.approvals == .init(required: 2, approvers: ["keys/alice.pub", "keys/bob.pub", "keys/carol.pub"]))
        #expect(deployments.controls.smoke == "greet --version")
        #expect(try ConfigLoader().parse(Self.base, source: "hallmark.yml").deployments == nil)
    }

    @Test("Every mistake is named, with its line and column")
    func mistakes() {
        let cases: [(String, String, String)] = [
            ("surface: ci-runner", "surface: ci-runer", "did you mean \"ci-runner\""),
            ("ring: staging}", "ring: qa}", "ring qa, which rings does not list"),
            ("required: 2", "required: 4", "needs 4 approvals but names 3 approvers"),
            ("required: 2", "required: 0", "must be at least 1"),
            ("1h30m", "90 minutes", "not a duration"),
            ("soak: {canary: 0s", "soak: {qa: 0s", "soak names ring qa"),
            ("id: dev-workstation-linux-amd64", "id: github-actions-linux-amd64-runner", "used twice"),
            ("platform: linux/amd64, prefix: ~/.local", "platform: linux/x86_64, prefix: ~/.local", "did you mean \"amd64\""),
            ("max_parallel: 10", "max_paralel: 10", "did you mean \"max_parallel\""),
            ("rings: [canary, staging, production]", "rings: [canary, canary]", "listed twice"),
            ("keys/carol.pub]", "keys/bob.pub]", "lists a key twice"),
        ]
        for (from, to, expected) in cases {
            let text = Self.block.replacingOccurrences(of: from, with: to)
            #expect(text != Self.block, "\(from) is in the block")
            let error = message(text)
            #expect(error?.contains(expected) == true, "\(to): \(error ?? "accepted")")
            #expect(error?.hasPrefix("hallmark.yml:") == true, "\(to): \(error ?? "accepted")")
        }
    }

    @Test func durations() {
        #expect(DeploymentConfig.seconds(inDuration: "0s") == 0)
        #expect(DeploymentConfig.seconds(inDuration: "90s") == 90)
        #expect(DeploymentConfig.seconds(inDuration: "15m") == 900)
        #expect(DeploymentConfig.seconds(inDuration: "1h30m") == 5_400)
        #expect(DeploymentConfig.seconds(inDuration: "2d") == 172_800)
        for bad in ["", "1", "h", "1x", "-1h", "1h 30m", "99999999999999999999d", "1.5h"] {
            #expect(DeploymentConfig.seconds(inDuration: bad) == nil, "\(bad)")
        }
    }
}
