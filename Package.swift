// swift-tools-version:6.0
import PackageDescription

/// kd: knowledge distillation on the CPU, every matmul through BLAS.
/// Arrows point down only: kd -> Distill -> NN -> CBLAS/CLAPACKE; Distill -> SafeTensors.
let package = Package(
    name: "kd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kd", targets: ["kd"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Distill", targets: ["Distill"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CLAPACKE", path: "Sources/CLAPACKE"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "NN", dependencies: ["CBLAS", "CLAPACKE"]),
        .target(name: "SafeTensors"),
        .target(
            name: "Distill",
            dependencies: ["NN", "SafeTensors", "CZlib", .product(name: "Yams", package: "Yams")]),
        .executableTarget(
            name: "kd",
            dependencies: ["Distill", "NN", "SafeTensors", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .target(name: "TestSupport", dependencies: ["NN", "SafeTensors"], path: "Tests/TestSupport"),
        .target(name: "MallocCounter", path: "Tests/MallocCounter"),
        .testTarget(name: "NNTests", dependencies: ["NN", "SafeTensors", "TestSupport", "MallocCounter"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"]),
        .testTarget(name: "DistillTests", dependencies: ["Distill", "NN", "SafeTensors", "TestSupport"]),
        .testTarget(name: "kdTests", dependencies: ["kd", "Distill", "NN", "SafeTensors"], exclude: ["Malformed", "python"]),
    ],
    swiftLanguageModes: [.v5]
)
