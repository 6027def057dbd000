import CHallmarkBuildInfo
import Foundation
import HallmarkCore

/// What `hallmark version` reports: the release, the commit and source date it was built from, the toolchain.
public struct VersionInfo: Codable, Sendable {
    /// The version of this source tree.
    public static let releaseVersion = "0.1.0"

    public var version: String
    public var commit: String
    public var buildDate: String
    public var swiftVersion: String
    public var platform: String

    public static func current() -> VersionInfo {
        let commit = String(cString: hallmark_build_commit())
        let epoch = Int64(String(cString: hallmark_build_source_date()))
        return VersionInfo(
            version: releaseVersion,
            commit: commit.isEmpty ? "unknown" : commit,
            buildDate: epoch.map { RFC3339.format(unixSeconds: $0) } ?? "unknown",
            swiftVersion: compilerVersion,
            platform: platform)
    }

    static var compilerVersion: String {
        #if compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #elseif compiler(>=6.1)
        "6.1"
        #else
        "6.0"
        #endif
    }

    static var platform: String { Platform.host.description }
}
