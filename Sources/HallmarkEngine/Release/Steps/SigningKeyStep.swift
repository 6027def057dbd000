import Foundation
import HallmarkCore
import HallmarkCrypto

/// Preparation: the signing key, resolved before any work so that a missing key fails fast; none in a dry run.
struct SigningKeyStep: ReleaseStep {
    let name = "signing key"
    let announced = false
    let requires: [ReleaseProduct] = []
    let produces = ReleaseProduct.signingKey

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let options = state.inputs.options
        guard !options.dryRun else {
            state.signing = SigningChoice(key: nil)
            return "none (dry run)"
        }
        let reference = options.keyReference ?? state.inputs.config.signingKey
        do {
            let key = try KeyResolver(context: context.engine).signingKey(reference)
            state.signing = SigningChoice(key: key)
            return key.publicKey.keyID
        } catch where error.code == .usage {
            throw .usage(
                "signing is required for a release: pass --key PATH, set signing.key in \(options.configPath), "
                    + "or set \(KeyResolver.signingKeyVariable); or pass --dry-run to sign nothing")
        } catch where reference?.hasPrefix("env://") == true && error.message.contains("is not set") {
            throw .usage(
                "signing is required for a release, but \(error.message); "
                    + "set it to the key's PEM, pass --key PATH, or pass --dry-run to sign nothing")
        }
    }
}
