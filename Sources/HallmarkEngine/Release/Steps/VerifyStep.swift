import Foundation
import HallmarkCore
import HallmarkCrypto

/// Step 12: `hallmark verify` of the staged release, exactly as a user would run it; the report is kept beside
/// the staging directory, and a release that does not verify goes no further.
struct VerifyStep: ReleaseStep {
    let name = "verify"
    let requires: [ReleaseProduct] = [.signingKey, .workspace, .signatures]
    let produces = ReleaseProduct.verification

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let signing = try state.need(\.signing, .signingKey, for: name)
        let workspace = try state.need(\.workspace, .workspace, for: name)
        let report = try ReleaseVerification(context: context.engine).verify(
            directory: workspace.staging, keys: signing.key.map { [$0.publicKey] } ?? [],
            policy: signing.signed ? .required : .allowUnsigned)
        try FileIO.writeAtomically(try StagedFiles.json(report), to: workspace.workRoot + "/verify.json")
        guard report.verified else {
            throw .verificationFailed(
                "the staged release does not verify: \(report.problems.first?.message ?? "?") "
                    + "(report: \(workspace.workRoot)/verify.json)",
                problem: report.problems.first?.code)
        }
        state.verification = report
        return "\(report.files.count) files, cross-checked \(report.crossChecked.joined(separator: ", "))"
    }
}
