// swift-tools-version:6.0
import PackageDescription

/// libFuzzer targets for kd's parsers. Kept out of the main package because they need
/// `-sanitize=fuzzer`; build and run them with `make fuzz` (see the Makefile):
///   swift build --package-path Fuzz -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
let package = Package(
    name: "kdFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "kd", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "FuzzIDX", dependencies: ["FuzzSupport", .product(name: "DataFormats", package: "kd")]),
        .executableTarget(
            name: "FuzzNPY", dependencies: ["FuzzSupport", .product(name: "DataFormats", package: "kd")]),
        .executableTarget(
            name: "FuzzCSV", dependencies: ["FuzzSupport", .product(name: "DataFormats", package: "kd")]),
        .executableTarget(
            name: "FuzzSafeTensors",
            dependencies: [
                "FuzzSupport", .product(name: "Distill", package: "kd"), .product(name: "SafeTensors", package: "kd"),
            ]),
        .executableTarget(name: "FuzzConfig", dependencies: ["FuzzSupport", .product(name: "Distill", package: "kd")]),
    ],
    swiftLanguageModes: [.v5]
)
