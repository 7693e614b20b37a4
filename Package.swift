// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "osprey",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "osprey", targets: ["osprey"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/jpsim/Yams.git", "5.0.1"..<"7.0.0"),
    ],
    targets: [
        // No I/O: resources, names, errors, validation, port protocols.
        .target(name: "OspreyCore", swiftSettings: strict),
        // zlib's CRC-32, about 1.6x the table-driven one in Swift (x-amz-checksum-crc32 on every boto3 upload).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // AWS Signature V4: signing, verification, aws-chunked bodies. Pure computation.
        .target(
            name: "OspreySigV4",
            dependencies: ["OspreyCore", "CZlib", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The metadata store: one SQLKit code path on SQLite and PostgreSQL.
        .target(
            name: "OspreyStore",
            dependencies: [
                "OspreyCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Blob storage: a local folder or any S3-compatible store; archives.
        .target(
            name: "OspreyArtifacts",
            dependencies: [
                "OspreyCore", "OspreySigV4",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        // Where user code runs: the local process executor with SageMaker's training contract.
        .target(
            name: "OspreyCompute",
            dependencies: ["OspreyCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // Real-time serving: model workers (Osprey's Python worker over a socketpair, SageMaker's container contract).
        .target(
            name: "OspreyServing",
            dependencies: [
                "OspreyCore", "OspreyCompute", "OspreyServices", "OspreyArtifacts",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            resources: [.copy("Python/osprey_worker.py")],
            swiftSettings: strict
        ),
        // Domain services over the ports: objects, keys, events.
        .target(
            name: "OspreyServices",
            dependencies: [
                "OspreyCore", "OspreyArtifacts", "OspreyCompute",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Protocol adapters, authentication and the composition root.
        .target(
            name: "OspreyServer",
            dependencies: [
                "OspreyCore", "OspreySigV4", "OspreyStore", "OspreyArtifacts", "OspreyServices", "OspreyCompute", "OspreyServing",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [
                .copy("Native/openapi.json"), .copy("SageMaker/sagemaker-shapes.json"), .copy("Logs/logs-shapes.json"),
                .copy("AutoScaling/autoscaling-shapes.json"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "osprey",
            dependencies: [
                "OspreyCore", "OspreyServer", "OspreyArtifacts", "OspreySigV4",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Benchmarks only: a compiled S3 load generator, so the client is not what limits small-object ops/s (Benchmarks/run.sh).
        .executableTarget(
            name: "osprey-s3-load",
            dependencies: [
                "OspreyArtifacts",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/S3Load",
            swiftSettings: strict
        ),
        .testTarget(name: "OspreyCoreTests", dependencies: ["OspreyCore"]),
        .testTarget(name: "OspreySigV4Tests", dependencies: ["OspreySigV4"]),
        .testTarget(name: "OspreyStoreTests", dependencies: ["OspreyStore", "OspreyCore"]),
        .testTarget(name: "OspreyArtifactsTests", dependencies: ["OspreyArtifacts", "OspreyCore"]),
        .testTarget(name: "OspreyComputeTests", dependencies: ["OspreyCompute", "OspreyCore"]),
        .testTarget(
            name: "OspreyServingTests",
            dependencies: ["OspreyServing", "OspreyCompute", "OspreyCore", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(name: "OspreyServicesTests", dependencies: ["OspreyServices", "OspreyStore", "OspreyArtifacts", "OspreyCore"]),
        .testTarget(
            name: "OspreyServerTests",
            dependencies: [
                "OspreyServer", "OspreyCore", "OspreyStore", "OspreyArtifacts", "OspreyServices",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            exclude: ["EndToEnd/python"]
        ),
    ]
)
