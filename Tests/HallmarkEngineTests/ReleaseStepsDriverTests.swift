import Foundation
import HallmarkCore
import HallmarkCrypto
@testable import HallmarkEngine
import HallmarkTestSupport
import Testing

@Suite("Release steps: the driver and the standard list")
struct ReleaseStepsDriverTests {
    static let announced = [
        "guard", "test", "build", "archive", "index", "sbom", "reproducibility", "provenance", "evidence", "notes",
        "sign", "verify", "publish",
    ]

    @Test func theStandardListIsInOrderAndAnnouncesThirteenSteps() throws {
        try ReleaseDriver.checkOrder(ReleasePipeline.steps, given: [])
        #expect(ReleasePipeline.steps.filter(\.announced).map(\.name) == Self.announced)
        #expect(Set(ReleasePipeline.steps.map(\.produces)).count == ReleasePipeline.steps.count)
        #expect(Set(ReleasePipeline.steps.map(\.produces)) == Set(ReleaseProduct.allCases))
    }

    @Test func stepsInTheWrongOrderAreRefusedBeforeAnyRuns() throws {
        let fixture = try StepFixture()
        var steps = ReleasePipeline.steps
        let archive = steps.remove(at: try #require(steps.firstIndex { $0.name == "archive" }))
        steps.insert(archive, at: try #require(steps.firstIndex { $0.name == "build" }))
        var state = ReleaseState(inputs: fixture.state.inputs)
        let before = try fixture.dir.snapshot()
        let driver = ReleaseDriver(steps: steps, context: fixture.context)
        #expect { _ = try driver.run(&state) } throws: {
            let error = $0 as? HallmarkError
            return error?.code == .io
                && error?.message == """
                    internal error: the release step "archive" needs the archive names, which no earlier step makes \
                    ("archive plan" makes it, but runs later)
                    """
        }
        #expect(fixture.events.all.isEmpty && state.produced.isEmpty)
        #expect(try fixture.dir.snapshot() == before)

        let withoutBuild = ReleasePipeline.steps.filter { $0.name != "build" }
        #expect { _ = try ReleaseDriver(steps: withoutBuild, context: fixture.context).run(&state) } throws: {
            ($0 as? HallmarkError)?.message == """
                internal error: the release step "archive plan" needs the built binaries, which no earlier step makes \
                (no step in the list makes it)
                """
        }
    }

    @Test func aStepRunTooEarlyThrowsInsteadOfCrashing() throws {
        var fixture = try StepFixture()
        for step in ReleasePipeline.steps where !step.requires.isEmpty {
            fixture.state = ReleaseState(inputs: fixture.state.inputs)
            #expect { try fixture.run(step) } throws: {
                ($0 as? HallmarkError)?.message.hasPrefix("internal error: the release step \"\(step.name)\" needs ")
                    == true
            }
        }
        #expect(fixture.events.all.isEmpty)
    }

    @Test func theDriverNumbersAndTimesOnlyTheAnnouncedStepsAndRemovesTheCheckout() throws {
        var fixture = try StepFixture()
        fixture.state.produced = [.guardReport, .source, .signingKey, .workspace]
        let steps = Array(ReleasePipeline.steps.drop { $0.produces != .tested })
        let times = try ReleaseDriver(steps: steps, context: fixture.context).run(&fixture.state)
        let names = Array(Self.announced.dropFirst())
        #expect(times.map(\.name) == names)
        let numbered = fixture.events.all.filter { $0.hasPrefix("[") }
        #expect(numbered == names.enumerated().map { "[\($0.offset + 1)/\(names.count)] \($0.element)" })
        #expect(fixture.events.all.contains("publish done: dist/v1.0.0"))
        #expect(fixture.state.produced.contains(.published))
        #expect(!FileIO.isDirectory(fixture.checkout.path), "the driver removes the checkout when the run ends")
        #expect(fixture.dir.exists("project/dist/v1.0.0/index.json"))
    }

    @Test func thePipelineRunsEveryStepOnACommittedProject() async throws {
        let fixture = try StepFixture(committed: true)
        let events = fixture.events
        let result = try await ReleasePipeline(context: fixture.engine).run(.init(version: "v1.0.0", dryRun: true)) {
            events.append($0)
        }
        #expect(result.steps.map(\.name) == Self.announced)
        #expect(result.verified && !result.signed && result.dryRun)
        #expect(result.sourceDateEpoch == 1_700_000_000)
        #expect(result.artifacts.map(\.file) == ["tiny_1.0.0_linux_amd64.tar.gz", "tiny_1.0.0_windows_amd64.zip"])
        #expect(result.files.count == 10)
        #expect(result.directory == fixture.project + "/dist/v1.0.0")
        #expect(
            result.warnings == [
                "provenance.tools: `hallmark-no-such-tool --version` did not run; its version is not recorded",
                "dry run: nothing was signed (no signatures.json, no provenance.intoto.jsonl)",
            ])
        #expect(!FileIO.isDirectory(BuildTree(commit: result.commit).root), "the checkout is removed")
        #expect(fixture.events.all.first == "[1/13] guard" && fixture.events.all.last == "publish done: dist/v1.0.0")
    }
}
