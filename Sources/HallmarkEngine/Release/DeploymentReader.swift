import Foundation
import HallmarkCore

/// Reads `hallmark.yml`'s `deployments:` block as strictly as the rest of the file: unknown keys, bad values and a
/// block that cannot describe a rollout are errors naming the line and column.
struct DeploymentReader {
    let source: String

    func read(_ node: YAMLReader) throws(HallmarkError) -> DeploymentConfig {
        let map = try node.mapping(allowed: ["rings", "targets", "controls"])
        guard let ringsNode = map["rings"] else { throw node.error("deployments needs rings (in order, e.g. [canary, staging, production])") }
        let rings = try ringsNode.stringList()
        var targets: [DeploymentConfig.Target] = []
        for item in try map["targets"]?.sequence() ?? [] { targets.append(try readTarget(item)) }
        let controls = try map["controls"].map { (node) throws(HallmarkError) in try readControls(node) } ?? DeploymentConfig.Controls()
        let config = DeploymentConfig(rings: rings, targets: targets, controls: controls)
        if let problem = config.problem { throw node.error("deployments: \(problem)") }
        return config
    }

    /// One target: `{id, surface, platform, prefix, channel, ring}`; `channel` defaults to `stable`.
    func readTarget(_ node: YAMLReader) throws(HallmarkError) -> DeploymentConfig.Target {
        let map = try node.mapping(allowed: ["id", "surface", "platform", "prefix", "channel", "ring"])
        func required(_ key: String) throws(HallmarkError) -> YAMLReader {
            guard let value = map[key] else { throw node.error("a deployment target needs \(key)") }
            return value
        }
        let surfaceNode = try required("surface")
        let surfaceName = try surfaceNode.string()
        guard let surface = DeploymentConfig.Surface(rawValue: surfaceName) else {
            let names = DeploymentConfig.Surface.allCases.map(\.rawValue)
            let hint = Suggestion.closest(to: surfaceName, in: names).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw surfaceNode.error("unknown surface \"\(surfaceName)\"\(hint); known: \(names.joined(separator: ", "))")
        }
        let platformNode = try required("platform")
        let platform: Platform
        do { platform = try Platform(parsing: try platformNode.string()) } catch { throw platformNode.error(error.message) }
        return DeploymentConfig.Target(
            id: try required("id").string(), surface: surface, platform: platform, prefix: try required("prefix").string(),
            channel: try map["channel"]?.string() ?? "stable", ring: try required("ring").string())
    }

    /// `controls:`: `soak` (ring → duration), `max_parallel`, `approvals: {required, approvers}`, `smoke`.
    func readControls(_ node: YAMLReader) throws(HallmarkError) -> DeploymentConfig.Controls {
        let map = try node.mapping(allowed: ["soak", "max_parallel", "approvals", "smoke"])
        var controls = DeploymentConfig.Controls()
        if let soak = map["soak"] {
            for (ring, text) in try soak.stringMap() {
                guard let seconds = DeploymentConfig.seconds(inDuration: text) else {
                    throw soak.error("soak time \"\(text)\" for \(ring) is not a duration such as 0s, 30m, 1h or 2d")
                }
                controls.soakSeconds[ring] = seconds
            }
        }
        controls.maxParallel = try map["max_parallel"]?.int()
        if let approvals = map["approvals"] {
            let fields = try approvals.mapping(allowed: ["required", "approvers"])
            guard let required = fields["required"], let approvers = fields["approvers"] else {
                throw approvals.error("approvals needs required (N) and approvers (M public key files)")
            }
            controls.approvals = DeploymentConfig.Approvals(required: try required.int(), approvers: try approvers.stringList())
        }
        controls.smoke = try map["smoke"]?.string()
        return controls
    }
}
