// swift-tools-version: 6.1
import PackageDescription

/// One set of Swift settings for every target: Swift 6 language mode plus the upcoming features we rely on.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
] + fuzzInstrumentation

/// `HALLMARK_FUZZ=1` (scripts/fuzz.sh) builds Hallmark's own modules with libFuzzer's coverage and AddressSanitizer,
/// and `hallmark-fuzz` as a libFuzzer binary; otherwise nothing changes.
var fuzzInstrumentation: [SwiftSetting] {
    Context.environment["HALLMARK_FUZZ"] == "1" ? [.unsafeFlags(["-sanitize=fuzzer,address"])] : []
}
var fuzzing: Bool { Context.environment["HALLMARK_FUZZ"] == "1" }

let package = Package(
    name: "hallmark",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hallmark", targets: ["hallmark"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(name: "HallmarkCore", swiftSettings: swiftSettings),
        .target(name: "HallmarkConcurrency", swiftSettings: swiftSettings),
        .target(
            name: "HallmarkCrypto",
            dependencies: [
                "HallmarkCore", "HallmarkConcurrency", "CSodium",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "CHallmarkBuildInfo"),
        .systemLibrary(name: "CSystemZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CSystemLibdeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .target(
            name: "HallmarkArchive", dependencies: ["HallmarkCore", "CSystemZlib", "CSystemLibdeflate"],
            swiftSettings: swiftSettings),
        .target(
            name: "HallmarkRemote",
            dependencies: [
                "HallmarkCore", "HallmarkConcurrency",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HallmarkStore",
            dependencies: [
                "HallmarkCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HallmarkEngine",
            dependencies: [
                "HallmarkCore", "HallmarkConcurrency", "HallmarkCrypto", "HallmarkArchive", "HallmarkRemote", "HallmarkStore",
                "CHallmarkBuildInfo",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HallmarkServer",
            dependencies: [
                "HallmarkCore", "HallmarkEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HallmarkCommands",
            dependencies: [
                "HallmarkCore", "HallmarkEngine", "HallmarkServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "hallmark", dependencies: ["HallmarkCommands"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "hallmark-fuzz",
            dependencies: ["HallmarkCore", "HallmarkCrypto", "HallmarkArchive", "HallmarkEngine"],
            swiftSettings: swiftSettings + (fuzzing ? [.define("HALLMARK_FUZZING"), .unsafeFlags(["-parse-as-library"])] : []),
            linkerSettings: fuzzing ? [.unsafeFlags(["-sanitize=fuzzer,address"])] : []
        ),
        .target(
            name: "HallmarkTestSupport",
            dependencies: ["HallmarkCore", "HallmarkCrypto", "HallmarkEngine"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HallmarkCoreTests",
            dependencies: ["HallmarkCore", "HallmarkTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HallmarkCryptoTests",
            dependencies: ["HallmarkCore", "HallmarkCrypto", "HallmarkTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HallmarkArchiveTests",
            dependencies: ["HallmarkCore", "HallmarkArchive", "HallmarkTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HallmarkEngineTests",
            dependencies: [
                "HallmarkCore", "HallmarkConcurrency", "HallmarkCrypto", "HallmarkRemote", "HallmarkStore", "HallmarkEngine",
                "HallmarkTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HallmarkEndToEndTests",
            dependencies: ["HallmarkCore", "HallmarkCrypto", "HallmarkTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "InteropTests",
            dependencies: ["HallmarkCore", "HallmarkTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
