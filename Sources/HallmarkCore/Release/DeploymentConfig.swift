/// `hallmark.yml`'s `deployments:` block: where a release goes (targets on CI runners, workstations and
/// servers), in which order (rings), and under which controls (soak time per ring, how many targets at once, N of
/// M approvals by named keys, a smoke command). Checked as a whole by ``validate(source:)``.
public struct DeploymentConfig: Sendable, Equatable {
    /// The kind of machine a target is.
    public enum Surface: String, Sendable, CaseIterable {
        case ciRunner = "ci-runner"
        case workstation
        case server
    }

    /// One place a release is installed.
    public struct Target: Sendable, Equatable {
        public var id: String
        public var surface: Surface
        public var platform: Platform
        /// The installer prefix (`hallmark install --prefix`).
        public var prefix: String
        public var channel: String
        public var ring: String

        public init(id: String, surface: Surface, platform: Platform, prefix: String, channel: String, ring: String) {
            self.id = id
            self.surface = surface
            self.platform = platform
            self.prefix = prefix
            self.channel = channel
            self.ring = ring
        }
    }

    /// N of M approvals: `required` signatures by distinct keys among `approvers` (public key files).
    public struct Approvals: Sendable, Equatable {
        public var required: Int
        public var approvers: [String]

        public init(required: Int, approvers: [String]) {
            self.required = required
            self.approvers = approvers
        }
    }

    /// The rollout's controls.
    public struct Controls: Sendable, Equatable {
        /// Seconds a ring must run before the next one may start, by ring name.
        public var soakSeconds: [String: Int64]
        /// How many targets may be changed at once.
        public var maxParallel: Int?
        public var approvals: Approvals?
        public var smoke: String?

        public init(soakSeconds: [String: Int64] = [:], maxParallel: Int? = nil, approvals: Approvals? = nil, smoke: String? = nil) {
            self.soakSeconds = soakSeconds
            self.maxParallel = maxParallel
            self.approvals = approvals
            self.smoke = smoke
        }
    }

    /// The rings, in the order a release moves through them.
    public var rings: [String]
    public var targets: [Target]
    public var controls: Controls

    public init(rings: [String], targets: [Target], controls: Controls = Controls()) {
        self.rings = rings
        self.targets = targets
        self.controls = controls
    }

    /// Refuses a block that cannot describe a rollout: no rings, a ring or target id that is not a plain name or
    /// appears twice, a target in a ring that is not listed, soak time for an unknown ring, fewer approvers than
    /// approvals required (or none required), an approver listed twice, `max_parallel` below 1.
    public func validate(source: String) throws(HallmarkError) {
        if let problem { throw .invalidInput("\(source): deployments: \(problem)") }
    }

    /// What ``validate(source:)`` refuses, in words (nil when the block is sound).
    public var problem: String? {
        guard !rings.isEmpty else { return "rings is empty; list them in order, e.g. [canary, staging, production]" }
        for (index, ring) in rings.enumerated() {
            guard RelativePath.isPlainName(ring), !ring.utf8.contains(0x20) else { return "ring \"\(ring)\" is not a plain name" }
            guard !rings[..<index].contains(ring) else { return "ring \(ring) is listed twice" }
        }
        var ids: Set<String> = []
        for target in targets {
            guard RelativePath.isPlainName(target.id) else { return "target id \"\(target.id)\" is not a plain name" }
            guard ids.insert(target.id).inserted else { return "target id \(target.id) is used twice" }
            guard rings.contains(target.ring) else {
                return "target \(target.id) is in ring \(target.ring), which rings does not list (\(rings.joined(separator: ", ")))"
            }
            guard !target.prefix.isEmpty else { return "target \(target.id) has an empty prefix" }
        }
        for ring in controls.soakSeconds.keys.sorted() where !rings.contains(ring) {
            return "controls.soak names ring \(ring), which rings does not list"
        }
        if let maxParallel = controls.maxParallel, maxParallel < 1 { return "controls.max_parallel must be at least 1" }
        if let approvals = controls.approvals {
            guard approvals.required >= 1 else { return "controls.approvals.required must be at least 1" }
            guard Set(approvals.approvers).count == approvals.approvers.count else {
                return "controls.approvals.approvers lists a key twice"
            }
            guard approvals.required <= approvals.approvers.count else {
                return "controls.approvals needs \(approvals.required) approvals but names \(approvals.approvers.count) approvers"
            }
        }
        return nil
    }

    /// Seconds in a duration such as `0s`, `90s`, `15m`, `1h`, `1h30m` or `2d`; nil for anything else.
    public static func seconds(inDuration text: String) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        var total: Int64 = 0
        var digits = ""
        var sawUnit = false
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if let unit = units[character], !digits.isEmpty, let value = Int64(digits) {
                let (product, overflow) = value.multipliedReportingOverflow(by: unit)
                guard !overflow, case (let sum, false) = total.addingReportingOverflow(product) else { return nil }
                total = sum
                digits = ""
                sawUnit = true
            } else {
                return nil
            }
        }
        return sawUnit && digits.isEmpty ? total : nil
    }
}
