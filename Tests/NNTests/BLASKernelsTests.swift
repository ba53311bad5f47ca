import Foundation
import NN
import XCTest

/// kd asks OpenBLAS for the kernels of the CPU's instruction set only when the library fell back
/// to SSE-only kernels, and never against the user's own OPENBLAS_CORETYPE.
final class BLASKernelsTests: XCTestCase {
    let avx512: Set<String> = ["sse2", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
    let avx2: Set<String> = ["sse2", "avx", "avx2", "fma"]

    func testAnSSEFallbackOnAnAVXCPUGetsTheKernelsOfItsInstructionSet() {
        XCTAssertEqual(BLASKernels.betterCore(currentCore: "Prescott", cpuFlags: avx512, environment: [:]), "SkylakeX")
        XCTAssertEqual(BLASKernels.betterCore(currentCore: "Prescott", cpuFlags: avx2, environment: [:]), "Haswell")
        XCTAssertEqual(BLASKernels.betterCore(currentCore: "Nehalem", cpuFlags: avx2, environment: [:]), "Haswell")
        // AVX-512 without BW/DQ/VL (Knights Landing) is not what SkylakeX kernels need.
        XCTAssertEqual(
            BLASKernels.betterCore(
                currentCore: "Prescott", cpuFlags: avx2.union(["avx512f", "avx512cd"]), environment: [:]),
            "Haswell")
    }

    func testTheLibrarysOwnAVXChoiceTheUsersChoiceAndOldCPUsAreKept() {
        XCTAssertNil(BLASKernels.betterCore(currentCore: "Haswell", cpuFlags: avx512, environment: [:]))
        XCTAssertNil(BLASKernels.betterCore(currentCore: "Zen", cpuFlags: avx512, environment: [:]))
        XCTAssertNil(BLASKernels.betterCore(currentCore: "SkylakeX", cpuFlags: avx512, environment: [:]))
        XCTAssertNil(
            BLASKernels.betterCore(
                currentCore: "Prescott", cpuFlags: avx512, environment: ["OPENBLAS_CORETYPE": "Prescott"]))
        XCTAssertNil(BLASKernels.betterCore(currentCore: "Prescott", cpuFlags: ["sse2", "sse3"], environment: [:]))
        XCTAssertNil(BLASKernels.betterCore(currentCore: nil, cpuFlags: avx512, environment: [:]), "not OpenBLAS")
    }

    func testCPUFlagsAreTheFirstProcessorsFlagsLine() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cpuinfo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
        processor\t: 0
        model name\t: Some CPU
        flags\t\t: fpu sse2 avx2 fma avx512f

        processor\t: 1
        flags\t\t: fpu
        """.write(to: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(BLASKernels.cpuFlags(cpuinfo: file.path), ["fpu", "sse2", "avx2", "fma", "avx512f"])
        XCTAssertEqual(BLASKernels.cpuFlags(cpuinfo: "/nonexistent/cpuinfo"), [])
    }
}
