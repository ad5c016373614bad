// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "teletop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "teletop", targets: ["teletop"]),
        .library(name: "TeletopCore", targets: ["TeletopCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // The contract, the logger and everything that decides what an event means.
        // No terminal, no network: every other module builds on this one.
        // HdrHistogram keeps the payload fields' percentiles (Numbers/).
        .target(name: "TeletopCore", dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift")]),

        // ncurses as a system library; only TeletopTUI's backend file imports it.
        .systemLibrary(
            name: "CNcurses",
            pkgConfig: "ncursesw",
            providers: [.apt(["libncurses-dev"]), .brew(["ncurses"])]
        ),


        .target(name: "TeletopTUI", dependencies: ["TeletopCore", "CNcurses"]),

        // Durable storage on SQLite (GRDB): the core sees it only through its
        // `DurabilityGate` and `AnalyticsSource` protocols.
        .target(name: "TeletopStore", dependencies: [
            "TeletopCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            // The fleet's shared store (`--store postgres://…`).
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),

        // The contract's HTTP API over the core (Hummingbird 2); the core knows nothing of it.
        .target(
            name: "TeletopServer",
            dependencies: [
                "TeletopCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                // The HTTP/1 pipeline, set up by hand for HTTPConnectionGuard.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // gzip bodies from the analytics SDKs (zlib underneath).
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            resources: [.copy("openapi.yaml")]
        ),

        // The client side of the HTTP API (AsyncHTTPClient): links to running
        // teletops for `attach`; the core sees it through AnalyticsSource.
        .target(name: "TeletopRemote", dependencies: [
            "TeletopCore", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),

        // The commands (swift-argument-parser): Options/ parse and validate into
        // Running/Settings, Running/ starts what they describe. A library, so
        // the commands' parsing is tested; `teletop` itself is one line.
        .target(
            name: "TeletopCLI",
            dependencies: [
                "TeletopCore", "TeletopTUI", "TeletopServer", "TeletopStore", "TeletopRemote",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // The config file ($XDG_CONFIG_HOME/teletop/config.toml).
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .executableTarget(name: "teletop", dependencies: ["TeletopCLI"]),

        // `swift run -c release teletop-bench` prints the speed and memory figures.
        .executableTarget(name: "teletop-bench", dependencies: [
            "TeletopCore", "TeletopTUI", "TeletopStore", "CHeapStats", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "CHeapStats"),

        // libFuzzer entry point for the JSON parser; see README "Fuzzing".
        // Built normally it is a replayer of saved inputs, so `swift build` stays green.
        .executableTarget(name: "teletop-fuzz", dependencies: ["TeletopCore"]),

        .testTarget(
            name: "TeletopCoreTests",
            dependencies: [
                "TeletopCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "TeletopServerTests",
            dependencies: ["TeletopServer", "TeletopCore", .product(name: "HummingbirdTesting", package: "hummingbird")]
        ),
        .testTarget(name: "TeletopStoreTests", dependencies: [
            "TeletopStore", "TeletopCore", .product(name: "Logging", package: "swift-log"),
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(
            name: "TeletopTUITests",
            dependencies: ["TeletopTUI", "TeletopCore", .product(name: "PropertyBased", package: "swift-property-based")],
            exclude: ["Golden"]
        ),
        .testTarget(name: "TeletopCLITests", dependencies: [
            "TeletopCLI", "TeletopCore", "TeletopTUI", "TeletopServer", "TeletopStore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "TeletopRemoteTests", dependencies: [
            "TeletopRemote", "TeletopCore", .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        // Runs the built `teletop` under tmux; depends on it so `swift test` builds it first.
        .testTarget(name: "TeletopE2ETests", dependencies: ["teletop", "TeletopCore", "TeletopTUI"]),
    ],
    swiftLanguageModes: [.v6]
)
