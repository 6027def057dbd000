import Foundation
import HallmarkCore
import HallmarkCrypto

/// After index.json, when hallmark.yml has a `deployments:` block: `NAME.endpoint-deployment.json`, each target
/// bound to the archive and binary of its platform and the whole to index.json's digest; approvers by key id.
/// A target whose platform the release does not build, or an approver key that cannot be read, stops the release.
struct DeploymentStep: ReleaseStep {
    let name = "deployment"
    let announced = false
    let requires: [ReleaseProduct] = [.facts, .index, .workspace]
    let produces = ReleaseProduct.deployment

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let facts = try state.need(\.facts, .facts, for: name)
        let workspace = try state.need(\.workspace, .workspace, for: name)
        guard let deployments = state.inputs.config.deployments else { return "no deployments in the config" }
        guard let index = state.files.records[ReleaseIndex.fileName] else {
            throw .io("internal error: the release step \"\(name)\" needs index.json, which is not staged")
        }
        let display = state.inputs.options.configPath
        var targets: [EndpointDeployment.Target] = []
        for target in deployments.targets {
            guard let artifact = facts.artifacts.map(\.indexEntry).first(where: { $0.platform == target.platform }) else {
                throw .invalidInput(
                    "\(display): deployment target \(target.id) is \(target.platform), which this release does not build; add it to a build's targets or change the target")
            }
            targets.append(
                EndpointDeployment.Target(
                    id: target.id, surface: target.surface.rawValue, platform: target.platform.description, prefix: target.prefix,
                    channel: target.channel, ring: target.ring,
                    artifact: .init(file: artifact.file, sha256: artifact.sha256),
                    binary: .init(file: artifact.binary.path, sha256: artifact.binary.sha256)))
        }
        let manifest = EndpointDeployment(
            name: facts.name, version: facts.version, commit: facts.commit,
            index: .init(file: ReleaseIndex.fileName, sha256: index.sha256), rings: deployments.rings, targets: targets,
            controls: .init(
                soakSeconds: deployments.controls.soakSeconds, maxParallel: deployments.controls.maxParallel,
                approvals: try approvals(deployments.controls.approvals, in: workspace.sourceDirectory, display: display),
                smoke: deployments.controls.smoke))
        try state.stage(EndpointDeployment.fileName(project: facts.name), try StagedFiles.json(manifest), for: name)
        return "\(targets.count) targets in \(deployments.rings.count) rings"
    }

    /// The approvers as key ids, from the public key files the config names (relative to its directory in the
    /// checkout).
    func approvals(
        _ approvals: DeploymentConfig.Approvals?, in directory: String, display: String
    ) throws(HallmarkError) -> EndpointDeployment.Approvals? {
        guard let approvals else { return nil }
        var ids: [String] = []
        for file in approvals.approvers {
            if let reason = RelativePath.unsafeReason(file) {
                throw .invalidInput("\(display): approver key \"\(file)\": \(reason); name a file in the repository")
            }
            let key = try PublicKey(pem: try FileIO.readText(directory + "/" + file, display: file, limit: 1 << 20), source: file)
            guard !ids.contains(key.keyID) else { throw .invalidInput("\(display): approver keys \(file) and another are the same key") }
            ids.append(key.keyID)
        }
        return .init(required: approvals.required, approvers: ids)
    }
}
