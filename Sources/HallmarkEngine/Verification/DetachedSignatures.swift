import Foundation
import HallmarkCore

/// Detached signatures of a file, whatever their format: minisign and signify signatures (recognised by their
/// `untrusted comment:` first line), or Hallmark's and cosign's base64 and openssl's binary signatures. The one
/// place that tells the formats apart; `verify-blob` and the installer both go through it.
public struct DetachedSignatures: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    /// A verification in the format the signature turned out to have.
    public enum Outcome: Sendable {
        case minisign(MinisignOperations.Verification)
        case raw(BlobSigning.Verification)

        public var verified: Bool {
            switch self {
            case .minisign(let result): result.verified
            case .raw(let result): result.verified
            }
        }

        /// Why it failed, when it did.
        public var reason: String? {
            switch self {
            case .minisign(let result): result.reason
            case .raw(let result): result.reason
            }
        }

        public var problems: [VerificationProblem] {
            switch self {
            case .minisign(let result): result.problems
            case .raw(let result): result.problems
            }
        }
    }

    /// The signature `verify-blob` reads when none is named: `FILE.minisig` when it exists, else `FILE.sig` (both
    /// as given, relative to the working directory or absolute).
    public func defaultSignature(for file: String) throws(HallmarkError) -> String {
        FileIO.isFile(try context.resolve(file + ".minisig")) ? file + ".minisig" : file + ".sig"
    }

    /// The signatures that may sit beside `file`, in the order they are preferred, of those that exist.
    public func signaturesBeside(_ file: String) throws(HallmarkError) -> [String] {
        var found: [String] = []
        for candidate in [file + ".minisig", file + ".sig"] where FileIO.isFile(try context.resolve(candidate)) {
            found.append(candidate)
        }
        return found
    }

    /// Verifies `signature` over `file` with the keys `keyReferences` name, in the signature's own format.
    /// `prehashedOnly` refuses legacy minisign signatures (as `minisign -H`).
    public func verify(file: String, signature: String, keyReferences: [String], prehashedOnly: Bool) throws(HallmarkError) -> Outcome {
        let path = try context.resolve(signature)
        let head = FileIO.isFile(path) ? try FileIO.read(path, display: signature, limit: 64 << 10) : Data()
        if MinisignOperations.isMinisignOrSignify(head) {
            return .minisign(
                try MinisignOperations(context: context).verify(
                    file: file, signature: signature, keyReferences: keyReferences, prehashedOnly: prehashedOnly))
        }
        let keys = try KeyResolver(context: context).publicKeys(keyReferences)
        return .raw(try BlobSigning(context: context).verify(file: file, signature: signature, keys: keys))
    }
}
