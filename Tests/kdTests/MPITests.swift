import Foundation
import SafeTensors
import XCTest

/// `mpirun -np N kd distill` against one process (README, "Scaling out"): the same global
/// batch gives the same weights up to float summation order (per tensor, max |a - b| / max |a|
/// below 1e-4) and test accuracy within 0.2 points, for an MLP, a CNN with batch norm
/// (`sync_batchnorm`) and N = 2 and 3; the same N twice is bit-identical; a stopped job and
/// one whose rank 1 was killed mid-epoch resume bit-identical, and so does one stopped by
/// Ctrl-C to mpirun; only rank 0 writes into the run folder.
/// 505 training samples in global batches of 60: the last batch of 25 splits unevenly.
final class MPITests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.mpirun.path) else {
            throw XCTSkip("Open MPI's mpirun is not installed (make bootstrap installs openmpi-bin)")
        }
        try SmallData.requireFashionMNIST()
        folder = try KDProcess.temporaryFolder()
        // A small IDX copy, so no rank decompresses the whole of Fashion-MNIST.
        try SmallData.writeFashionMNIST(to: folder.appendingPathComponent("data"), train: 605, test: 200)
        try write("mlp.yaml", "input: [1, 28, 28]\nlayers: [flatten, {linear: {out: 32}}, relu, {linear: {out: 10}}]")
        try write(
            "cnn.yaml",
            """
            input: [1, 28, 28]
            layers:
              - conv2d: {out: 4, kernel: 3, padding: 1}
              - batchnorm
              - relu
              - maxpool2d: {kernel: 2}
              - flatten
              - linear: {out: 10}
            """)
        for (name, model, sync) in [("mlp", "mlp", false), ("cnn", "cnn", true)] {
            try write(
                "\(name).run.yaml",
                """
                name: \(name)
                seed: 3
                data: {source: fashion-mnist, limit: 605, test_limit: 200, validation: 100}
                training:
                  epochs: 2
                  batch_size: 60
                  sync_batchnorm: \(sync)
                  optimizer: {name: sgd, lr: 0.02, momentum: 0.9}
                teacher: {model: \(model).yaml, training: {epochs: 2}}
                student: {model: \(model).yaml}
                distillation: {temperature: 3, alpha: 0.7, baseline: false}
                """)
        }
    }

    override func tearDownWithError() throws { if let folder { try? FileManager.default.removeItem(at: folder) } }

    static let mpirun = URL(fileURLWithPath: "/usr/bin/mpirun")

    /// mpirun's arguments up to kd's own: `ranks` processes of the kd binary, as root in a
    /// container (shared-memory transport only).
    static func launch(_ ranks: Int, quiet: Bool = true) -> [String] {
        ["--allow-run-as-root", "--oversubscribe"] + (quiet ? ["--quiet"] : [])
            + ["--mca", "btl", "self,vader", "-np", "\(ranks)", KDProcess.binary.path]
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// `kd distill` of `config` into `out`, on one process (ranks 1) or under mpirun.
    @discardableResult
    /// `quietMPI: false` leaves off mpirun's `--quiet`, so it says which rank died.
    func distill(
        _ config: String, out: String, ranks: Int, extra: [String] = [], expectFailure: Bool = false,
        quietMPI: Bool = true
    ) throws -> KDProcess.Result {
        let args = ["distill", "--config", config, "--out", out, "--force", "--quiet", "--data-dir", "data"] + extra
        let result =
            ranks == 1
            ? try KDProcess.run(args, in: folder)
            : try KDProcess.runTool(Self.mpirun, Self.launch(ranks, quiet: quietMPI) + args, in: folder)
        if !expectFailure { XCTAssertEqual(result.status, 0, result.stderr) }
        return result
    }

    func tensors(_ path: String) throws -> [String: [Float]] {
        let file = try SafeTensorsFile(contentsOf: folder.appendingPathComponent(path))
        return try Dictionary(uniqueKeysWithValues: file.names.map { ($0, try file.floats($0)) })
    }

    /// The largest per-tensor max |a - b| / max |a| over the tensors of two checkpoints.
    func relativeDifference(_ a: String, _ b: String) throws -> Float {
        let (x, y) = (try tensors(a), try tensors(b))
        XCTAssertEqual(Set(x.keys), Set(y.keys))
        return x.keys.map { key in
            let scale = max(x[key]!.map(abs).max() ?? 0, 1e-12)
            return zip(x[key]!, y[key]!).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
        }.max() ?? 0
    }

    func testAccuracy(_ run: String) throws -> Double {
        let text = try String(contentsOf: folder.appendingPathComponent("\(run)/metrics.jsonl"), encoding: .utf8)
        let last = text.split(separator: "\n").last.map(String.init) ?? ""
        let object = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        return try XCTUnwrap(object?["test_acc"] as? Double)
    }

    func testTwoAndThreeRanksMatchOneProcess() throws {
        for model in ["mlp", "cnn"] {
            try distill("\(model).run.yaml", out: "\(model)-1", ranks: 1)
            for ranks in [2, 3] {
                try distill("\(model).run.yaml", out: "\(model)-\(ranks)", ranks: ranks)
                for role in ["teacher", "student"] {
                    let difference = try relativeDifference(
                        "\(model)-1/\(role).safetensors", "\(model)-\(ranks)/\(role).safetensors")
                    print("MPITests: \(model) \(role) N=\(ranks) max relative difference \(difference)")
                    XCTAssertLessThan(difference, 1e-4, "\(model) \(role) N=\(ranks)")
                }
                XCTAssertEqual(
                    try testAccuracy("\(model)-\(ranks)"), try testAccuracy("\(model)-1"), accuracy: 0.002)
                let files = try FileManager.default.contentsOfDirectory(
                    atPath: folder.appendingPathComponent("\(model)-\(ranks)").path)
                let single = try FileManager.default.contentsOfDirectory(
                    atPath: folder.appendingPathComponent("\(model)-1").path)
                XCTAssertEqual(files.sorted(), single.sorted(), "only rank 0 writes, the files one process writes")
            }
        }
    }

    /// `kd distill --resume DIR` under mpirun.
    func resume(_ out: String, ranks: Int) throws {
        let result = try KDProcess.runTool(
            Self.mpirun, Self.launch(ranks) + ["distill", "--resume", out, "--quiet", "--data-dir", "data"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testSameRanksTwiceIsBitIdenticalAndResumesBitIdentical() throws {
        try distill("cnn.run.yaml", out: "a", ranks: 2)
        try distill("cnn.run.yaml", out: "b", ranks: 2)
        let uninterrupted = try tensors("a/student.safetensors")
        XCTAssertEqual(try tensors("b/student.safetensors"), uninterrupted)
        // Stopped mid-epoch as Ctrl-C would stop it, then resumed under the same N.
        let stopped = try distill(
            "cnn.run.yaml", out: "stopped", ranks: 2, extra: ["--stop-after", "student:1:4"], expectFailure: true)
        XCTAssertNotEqual(stopped.status, 0)
        XCTAssertEqual(stopped.stderr.components(separatedBy: "kd: interrupted:").count, 2, stopped.stderr)
        try resume("stopped", ranks: 2)
        XCTAssertEqual(try tensors("stopped/student.safetensors"), uninterrupted)
        // Rank 1 alone killed with SIGKILL after batch 3 of the student's epoch 2, while rank 0
        // waits in the allreduce of batch 4: mpirun ends the job and names the rank.
        let crashed = try distill(
            "cnn.run.yaml", out: "crashed", ranks: 2, extra: ["--crash-at", "student:2:3@1"], expectFailure: true,
            quietMPI: false)
        XCTAssertNotEqual(crashed.status, 0)
        XCTAssertTrue(
            crashed.stderr.contains("process rank 1") && crashed.stderr.contains("signal 9"), crashed.stderr)
        try resume("crashed", ranks: 2)
        XCTAssertEqual(try tensors("crashed/student.safetensors"), uninterrupted)
    }

    /// Ctrl-C to mpirun (it sends SIGTERM to every rank): the ranks stop after the same batch,
    /// rank 0 saves the resume state and says so once, and the job resumes bit-identical.
    func testCtrlCToMpirunStopsEveryRankAndResumes() throws {
        try write(
            "long.run.yaml",
            try String(contentsOf: folder.appendingPathComponent("mlp.run.yaml"), encoding: .utf8)
                .replacingOccurrences(of: "epochs: 2\n  batch_size", with: "epochs: 40\n  batch_size"))
        try distill("long.run.yaml", out: "full", ranks: 2)
        let stopped = try KDProcess.interrupt(
            Self.mpirun,
            Self.launch(2) + [
                "distill", "--config", "long.run.yaml", "--out", "part", "--quiet", "--data-dir", "data",
            ],
            in: folder, with: SIGINT, whenLinesOf: "part/metrics.jsonl", reach: 5)
        XCTAssertNotEqual(stopped.status, 0)
        XCTAssertEqual(
            stopped.stderr.components(separatedBy: "kd: interrupted: stopped during student epoch").count, 2,
            stopped.stderr)
        try resume("part", ranks: 2)
        XCTAssertEqual(try tensors("part/student.safetensors"), try tensors("full/student.safetensors"))
    }

    func testBatchThatRanksDoNotDivideIsOneLine() throws {
        let result = try distill("mlp.run.yaml", out: "odd", ranks: 7, expectFailure: true)
        XCTAssertNotEqual(result.status, 0)
        let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("kd: error:") }
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertTrue(
            lines.first?.contains("training.batch_size: 60 is the global batch and must be a multiple of the 7 ranks")
                == true, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("odd").path))
    }
}
