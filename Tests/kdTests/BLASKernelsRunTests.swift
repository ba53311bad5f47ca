import Foundation
import NN
import XCTest

/// The kd binary runs on the kernels `BLASKernels.betterCore` names when OpenBLAS fell back to
/// SSE-only ones (re-executing itself with OPENBLAS_CORETYPE), on the library's own choice
/// otherwise, and on the user's OPENBLAS_CORETYPE whenever it is set; summary.json says which.
final class BLASKernelsRunTests: XCTestCase {
    private func trainedKernels(environment: [String: String]) throws -> (kernels: String?, line: String?) {
        let folder = try KDProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
        seed: 1
        data: {source: fashion-mnist, limit: 300, test_limit: 200}
        training: {epochs: 1, batch_size: 50, optimizer: {name: adam, lr: 0.001}}
        teacher: {model: \(KDProcess.root.path)/Models/mlp-student.yaml}
        """.write(to: folder.appendingPathComponent("train.yaml"), atomically: true, encoding: .utf8)
        let run = try KDProcess.run(
            ["train", "--config", "train.yaml", "--out", "run", "--quiet"], in: folder, environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        let summary =
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("run/summary.json")))
            as? [String: Any]
        let machine = try XCTUnwrap(summary?["machine"] as? [String: Any])
        return (machine["blas_kernels"] as? String, machine["blas"] as? String)
    }

    func testKdRunsTheKernelsItChoseOrTheUsersOwn() throws {
        var environment = ProcessInfo.processInfo.environment
        guard let detected = BLASKernels.coreName else {
            throw XCTSkip("the BLAS is not OpenBLAS: no kernels to choose")
        }
        if environment[BLASKernels.coreTypeVariable] == nil {
            // This test process was not re-executed: `detected` is the library's own choice.
            let expected =
                BLASKernels.betterCore(
                    currentCore: detected, cpuFlags: BLASKernels.cpuFlags(), environment: environment)
                ?? detected
            let chosen = try trainedKernels(environment: environment)
            XCTAssertEqual(chosen.kernels?.lowercased(), expected.lowercased(), chosen.line ?? "")
            print("[blas] library: \(detected); kd: \(chosen.line ?? "?")")
            if expected.lowercased() != detected.lowercased() {
                XCTAssertEqual(
                    chosen.line,
                    "BLAS: \(BLASKernels.configuration?.split(separator: " ").prefix(2).joined(separator: " ") ?? ""), "
                        + "\(chosen.kernels ?? "") kernels (chosen by kd: the library detected \(detected) on this CPU)"
                )
            }
        }
        #if arch(x86_64)
            // Every x86-64 CPU runs the SSE3 kernels: the user's choice is kept even when it is slower.
            environment[BLASKernels.coreTypeVariable] = "Prescott"
            let kept = try trainedKernels(environment: environment)
            XCTAssertEqual(kept.kernels?.lowercased(), "prescott", kept.line ?? "")
            XCTAssertTrue(kept.line?.hasSuffix("Prescott kernels (OPENBLAS_CORETYPE)") == true, kept.line ?? "")
        #endif
    }
}
