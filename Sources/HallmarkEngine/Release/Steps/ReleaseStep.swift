import Foundation
import HallmarkCore

/// One step of `hallmark release`: reads what earlier steps left in the state, adds what it makes, and returns
/// the one-line detail its progress line shows. Steps declare what they need, so the driver can refuse a list in
/// the wrong order before anything runs.
protocol ReleaseStep: Sendable {
    /// The name progress lines and the result's step times use.
    var name: String { get }
    /// Whether people see the step: the numbered steps are announced and timed; preparation between them (plans,
    /// checks that fail fast) runs unannounced, as part of no step's time.
    var announced: Bool { get }
    /// What earlier steps must have made.
    var requires: [ReleaseProduct] { get }
    /// What this step makes.
    var produces: ReleaseProduct { get }
    /// Runs the step; the returned text is the detail of its progress line.
    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String
}

extension ReleaseStep { var announced: Bool { true } }

/// What the steps of a release make, in the order the standard list makes them; the raw value names it in errors.
enum ReleaseProduct: String, Sendable, CaseIterable {
    case guardReport = "the version-guard report"
    case source = "the source (commit, date, ref)"
    case signingKey = "the signing key (or none, in a dry run)"
    case workspace = "the staging directory and the checkout"
    case tested = "a tested checkout"
    case buildPlan = "the build jobs"
    case binaries = "the built binaries"
    case archivePlan = "the archive names"
    case artifacts = "the archives"
    case facts = "the release facts"
    case index = "index.json"
    case deployment = "the endpoint deployment manifest"
    case sbom = "the SBOM"
    case reproducibility = "reproducibility.json"
    case provenance = "the provenance"
    case evidence = "the release evidence"
    case notes = "the release notes"
    case signatures = "the checksums and signatures"
    case verification = "a verified staged release"
    case published = "the published release"
}

/// What every step may use besides the state: the engine context and the progress sink.
struct ReleaseStepContext: Sendable {
    var engine: EngineContext
    var progress: @Sendable (ReleasePipeline.Event) -> Void
}
