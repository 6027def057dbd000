import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish a release directory to file:///PATH/VERSION, all or nothing.",
        discussion: """
            Copies the release into a temporary directory beside the destination, checks every file's sha256
            against the original, then renames it into place as PATH/VERSION (the version from index.json, else
            the directory's name). A published version is never replaced without --force. Writes
            release-assets.txt (one URL per file; `hallmark summary --remote-assets` reads it) and
            release-url.txt into --out (default: the release directory's parent).

            Examples:
              $ hallmark publish dist/v1.4.0 --to file:///srv/www/releases
              $ hallmark summary dist/v1.4.0 --remote-assets dist/release-assets.txt
            """)

    @Argument(help: "The release directory.")
    var directory: String

    @Option(help: "Where to publish: file:///PATH.")
    var to: String

    @Flag(help: "Replace an already published version.")
    var force = false

    @Option(help: "Where to write release-assets.txt and release-url.txt.")
    var out: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run { () throws(HallmarkError) in
            let result = try Publishing(context: .current()).publish(directory: directory, to: to, force: force, out: out)
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text: Terminal.print("\(result.replaced ? "republished" : "published") \(result.version) at \(result.url) (\(result.assets.count) files); listed in \(result.assetsList)")
            }
        }
    }
}
