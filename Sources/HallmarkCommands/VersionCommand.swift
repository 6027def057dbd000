import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Show the version, commit, source date, Swift version and platform of this binary.",
        discussion: """
            Examples:
              $ hallmark version
              $ hallmark version --format json
            """)

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let info = VersionInfo.current()
        try await Terminal.run { context async throws(HallmarkError) in
            switch output.format {
            case .json: try Terminal.printJSON(info)
            case .text:
                Terminal.print("hallmark \(info.version)")
                Terminal.print("commit:     \(info.commit)")
                Terminal.print("build date: \(info.buildDate)")
                Terminal.print("swift:      \(info.swiftVersion)")
                Terminal.print("platform:   \(info.platform)")
            }
        }
    }
}
