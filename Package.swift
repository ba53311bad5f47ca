// swift-tools-version:6.0
import PackageDescription

/// kd: knowledge distillation on the CPU, every matmul through BLAS.
/// Arrows point down only: kd -> Distill -> NN -> CBLAS/CLAPACKE/CMPI (Open MPI, used only under mpirun)/CKernels (the direct 3x3 convolution, AVX-512); Distill -> DataFormats, SafeTensors, FileSupport.
/// DataFormats (IDX, CSV, gzip parsers) needs only Foundation and CZlib; SafeTensors -> FileSupport (atomic writes).
let package = Package(
    name: "kd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kd", targets: ["kd"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Distill", targets: ["Distill"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        .library(name: "DataFormats", targets: ["DataFormats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CLAPACKE", path: "Sources/CLAPACKE"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(
            name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "CKernels"),
        .target(name: "NN", dependencies: ["CBLAS", "CLAPACKE", "CMPI", "CKernels"]),
        .target(name: "FileSupport"),
        .target(name: "SafeTensors", dependencies: ["FileSupport"]),
        .target(name: "DataFormats", dependencies: ["CZlib"]),
        .target(
            name: "Distill",
            dependencies: ["NN", "SafeTensors", "DataFormats", "FileSupport", .product(name: "Yams", package: "Yams")]),
        .target(name: "KDBench", dependencies: ["Distill"]),
        .executableTarget(
            name: "kd",
            dependencies: [
                "Distill", "KDBench", "NN", "SafeTensors", "FileSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(name: "TestSupport", dependencies: ["NN", "SafeTensors"], path: "Tests/TestSupport"),
        .target(name: "MallocCounter", path: "Tests/MallocCounter"),
        .target(name: "FileTestSupport", path: "Tests/FileTestSupport"),
        .testTarget(name: "NNTests", dependencies: ["NN", "SafeTensors", "TestSupport", "MallocCounter"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"]),
        .testTarget(name: "FileSupportTests", dependencies: ["FileSupport", "FileTestSupport"]),
        .testTarget(name: "DataFormatsTests", dependencies: ["DataFormats", "FileTestSupport"]),
        .testTarget(
            name: "DistillTests", dependencies: ["Distill", "NN", "SafeTensors", "TestSupport", "FileTestSupport"]),
        .testTarget(
            name: "kdTests", dependencies: ["kd", "Distill", "NN", "SafeTensors"], exclude: ["Malformed", "python"]),
    ],
    swiftLanguageModes: [.v5]
)
