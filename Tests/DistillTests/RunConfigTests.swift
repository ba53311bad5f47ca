import Distill
import Foundation
import XCTest

final class RunConfigTests: XCTestCase {
    /// Keeps the temp folders alive until the test ends.
    var dirs = [TempDir]()
    /// A temp folder with Models/kdtest-teacher.yaml, Models/kdtest-student.yaml and
    /// Configs/run.yaml (models referenced as Models/...: found via the config folder's parent).
    func setUpFiles(config: String) throws -> (TempDir, String) {
        let dir = try TempDir()
        try dir.write(
            "Models/kdtest-teacher.yaml",
            """
            input: [1, 28, 28]
            layers:
              - flatten
              - linear: {out: 64}
              - relu
              - linear: {out: 10}
            """)
        try dir.write(
            "Models/kdtest-student.yaml",
            """
            name: small
            input: [1, 28, 28]
            layers: [flatten, {linear: {out: 10}}]
            """)
        try dir.write(
            "Models/kdtest-bad.yaml",
            """
            input: [1, 28, 28]
            layers:
              - flatten
              - linear: {outt: 10}
            """)
        let path = try dir.write("Configs/run.yaml", config)
        dirs.append(dir)
        return (dir, path)
    }

    let full = """
        name: demo
        seed: 3
        data:
          source: fashion-mnist
          validation: 0.1
          limit: 20000
          test_limit: 2000
          normalize: {mean: [0.2860], std: [0.3530]}
        training:
          epochs: 20
          batch_size: 128
          optimizer: {name: sgd, lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 5e-4}
          schedule: {name: cosine, warmup_epochs: 1}
          label_smoothing: 0.1
        teacher:
          model: Models/kdtest-teacher.yaml
          checkpoint: runs/teachers/kdtest-teacher.safetensors
          training:
            epochs: 5
            optimizer: {lr: 0.05}
        student:
          model: Models/kdtest-student.yaml
          training:
            batch_size: 64
            optimizer: adamw
            schedule: {name: step, step_size: 3, gamma: 0.5}
        distillation:
          temperature: 2.5
          alpha: 0.7
          divergence: js
          baseline: false
          mode: self
          generations: 2
        """

    func testFullConfigMergesOverrides() throws {
        let (dir, path) = try setUpFiles(config: full)
        let c = try RunConfig.load(path: path)
        XCTAssertEqual(c.name, "demo")
        XCTAssertEqual(c.seed, 3)
        XCTAssertEqual(c.output, "runs/demo")
        XCTAssertEqual(
            c.data,
            DataConfig(
                source: .fashionMNIST, validation: .fraction(0.1), limit: 20000, testLimit: 2000,
                normalize: Normalization(mean: [0.286], std: [0.353])))
        let shared = TrainingConfig(
            epochs: 20, batchSize: 128,
            optimizer: OptimizerConfig(name: .sgd, lr: 0.1, weightDecay: 5e-4, momentum: 0.9, nesterov: true),
            schedule: ScheduleConfig(name: .cosine, warmupEpochs: 1), labelSmoothing: 0.1)
        XCTAssertEqual(c.training, shared)

        let teacher = try c.requireTeacher()
        var t = shared
        t.epochs = 5
        t.optimizer.lr = 0.05
        XCTAssertEqual(teacher.training, t)
        XCTAssertEqual(
            teacher.model.path, dir.url.appendingPathComponent("Models/kdtest-teacher.yaml").standardizedFileURL.path)
        XCTAssertEqual(teacher.model.spec.name, "kdtest-teacher")
        XCTAssertEqual(teacher.model.spec.layers.count, 4)
        XCTAssertTrue(teacher.checkpoint?.hasSuffix("/runs/teachers/kdtest-teacher.safetensors") ?? false)
        XCTAssertFalse(teacher.checkpointExists)

        let student = try c.requireStudent()
        var s = shared
        s.batchSize = 64
        s.optimizer.name = .adamw  // the rest of the shared optimizer keys still apply
        s.schedule = ScheduleConfig(name: .step, warmupEpochs: 1, stepSize: 3, gamma: 0.5)
        XCTAssertEqual(student.training, s)
        XCTAssertEqual(student.model.spec.name, "small")
        XCTAssertNil(student.checkpoint)

        XCTAssertEqual(
            c.distillation,
            DistillationConfig(
                temperature: 2.5, alpha: 0.7, divergence: .js, baseline: false,
                cacheTeacherLogits: true, mode: .selfDistillation, generations: 2))

        let o = try c.applying(epochs: 1, seed: 9, output: "/tmp/x", teacherCheckpoint: "t.safetensors")
        XCTAssertEqual(o.teacher?.training.epochs, 1)
        XCTAssertEqual(o.student?.training.epochs, 1)
        XCTAssertEqual(o.seed, 9)
        XCTAssertEqual(o.output, "/tmp/x")
        XCTAssertEqual(o.teacher?.checkpoint, FileManager.default.currentDirectoryPath + "/t.safetensors")
        XCTAssertEqual(o.student?.training.batchSize, 64)

        // The resolved YAML reads back to the same config.
        let yaml = try c.resolvedYAML()
        let back = try RunConfig(yaml: yaml, file: dir.path + "/run/config.yaml")
        var expected = c
        expected.configPath = back.configPath
        XCTAssertEqual(back, expected, yaml)
    }

    func testDefaults() throws {
        let (_, path) = try setUpFiles(config: "student:\n  model: Models/kdtest-student.yaml\n")
        let c = try RunConfig.load(path: path)
        XCTAssertEqual(c.name, "run")
        XCTAssertEqual(c.seed, 0)
        XCTAssertEqual(c.output, "runs/run")
        XCTAssertEqual(c.data, DataConfig())
        XCTAssertEqual(c.student?.training, TrainingConfig())
        XCTAssertEqual(c.student?.training.optimizer.name, .adam)
        XCTAssertNil(c.teacher)
        assertThrowsMessage(
            try c.requireTeacher(for: "kd distill"),
            contains: ["run.yaml: missing required key 'teacher' (kd distill needs a teacher model)"])
        XCTAssertEqual(c.distillation, DistillationConfig())
    }

    /// Each broken config fails with the file, the dotted key and the line.
    func testErrorsNameFileKeyAndLine() throws {
        let teacher = "teacher:\n  model: Models/kdtest-teacher.yaml\n"
        let student = "student:\n  model: Models/kdtest-student.yaml\n"
        let cases: [(String, [String])] = [
            ("seed: 1\ntrainng:\n  epochs: 2\n" + student, ["run.yaml:2: unknown key 'trainng'"]),
            (teacher + "  trainng: {epochs: 3}\n" + student, ["run.yaml:3: unknown key 'teacher.trainng'"]),
            (
                "training:\n  optimizer:\n    name: adam\n    lrr: 0.1\n" + student,
                ["run.yaml:4: unknown key 'training.optimizer.lrr'"]
            ),
            (
                "training:\n  epochs: ten\n" + student,
                ["run.yaml:2: 'training.epochs' must be an integer in 1...10000, got 'ten'"]
            ),
            (
                student + "  training:\n    batch_size: 0\n",
                ["run.yaml:4: 'student.training.batch_size' must be an integer in 1...65536, got '0'"]
            ),
            ("teacher:\n  checkpoint: t.safetensors\n" + student, ["run.yaml:1: missing required key 'teacher.model'"]),
            (
                teacher + student + "distillation:\n  alpha: high\n",
                ["run.yaml:6: 'distillation.alpha' must be a number in [0, 1], got 'high'"]
            ),
            (
                teacher + student + "distillation:\n  temperature: 4\n  alpha: 1.5\n",
                ["run.yaml:7: 'distillation.alpha' must be a number in [0, 1], got '1.5'"]
            ),
            (
                teacher + student + "distillation:\n  divergence: kld\n",
                ["run.yaml:6: 'distillation.divergence' must be one of kl, reverse_kl, js, got 'kld'"]
            ),
            (
                teacher + student + "distillation:\n  mode: twice\n",
                ["run.yaml:6: 'distillation.mode' must be one of standard, born-again, self, got 'twice'"]
            ),
            (
                teacher + "student:\n  model: Models/nope.yaml\n",
                ["run.yaml:4: 'student.model': model spec not found: Models/nope.yaml"]
            ),
            (
                teacher + "student:\n  model: Models/kdtest-bad.yaml\n",
                [
                    "Models/kdtest-bad.yaml:4: unknown key 'layers[1].linear.outt'",
                    "(model spec of 'student.model' in ", "run.yaml:4)",
                ]
            ),
            (
                "training:\n  optimizer: {name: rmsprop}\n" + student,
                ["run.yaml:2: 'training.optimizer.name' must be one of sgd, adam, adamw, got 'rmsprop'"]
            ),
            (
                "training:\n  schedule: {name: step}\n" + student,
                ["run.yaml:2: missing required key 'training.schedule.step_size' (schedule 'step' needs it)"]
            ),
            (
                "training:\n  optimizer: {name: sgd, nesterov: true}\n" + student,
                ["run.yaml:2: 'training.optimizer.nesterov' needs momentum > 0"]
            ),
            (
                "data:\n  source: cifar\n" + student,
                ["run.yaml:2: 'data.source': unknown data source (expected fashion-mnist", "got 'cifar'"]
            ),
            (
                "data:\n  validation: 1.5\n" + student,
                ["run.yaml:2: 'data.validation' must be a count >= 0 or a fraction in (0, 1), got '1.5'"]
            ),
            (
                "data:\n  normalize: {mean: [0.1, 0.2], std: [0.3]}\n" + student,
                ["run.yaml:2: 'data.normalize.std' has 1 values, 'data.normalize.mean' has 2"]
            ),
            (
                "data:\n  normalize: {mean: [0.1, 0.2], std: [0.3, 0.3]}\n" + student,
                ["run.yaml:2: 'data.normalize' has 2 mean/std values, model small takes 1 input channel"]
            ),
            (
                student + "distillation: {alpha: 0.5}\n",
                ["run.yaml:3: missing required key 'teacher' (standard distillation needs a teacher"]
            ),
            ("seed: 1\n", ["run.yaml:1: a run config needs a 'teacher' or a 'student' section"]),
            ("seed: -1\n" + student, ["run.yaml:1: 'seed' must be an integer >= 0, got '-1'"]),
            (
                "teacher: Models/kdtest-teacher.yaml\n" + student,
                ["run.yaml:1: 'teacher' must be a mapping (key: value), got 'Models/kdtest-teacher.yaml'"]
            ),
            (student + "student:\n  model: x\n", ["run.yaml:3:", "duplicate key 'student'"]),
            ("seed: [1\n", ["run.yaml:", "YAML syntax error"]),
        ]
        for (yaml, parts) in cases {
            let (_, path) = try setUpFiles(config: yaml)
            assertThrowsMessage(try RunConfig.load(path: path), contains: parts)
        }
    }

    func testMissingConfigFileAndPathRule() throws {
        assertThrowsMessage(
            try RunConfig.load(path: "/nonexistent/c.yaml"),
            contains: ["/nonexistent/c.yaml: cannot read run config (no such file)"])
        // A model path relative to the config's own folder is found too.
        let (dir, _) = try setUpFiles(config: "")
        try dir.write(
            "Configs/local.yaml",
            "name: local\nstudent:\n  model: ../Models/kdtest-student.yaml\ndata:\n  source: csv:train.csv\n")
        try dir.write("Configs/train.csv", "0,1\n")
        let c = try RunConfig.load(path: dir.path + "/Configs/local.yaml")
        XCTAssertEqual(c.student?.model.spec.name, "small")
        XCTAssertEqual(
            c.data.source,
            .csv(train: dir.url.appendingPathComponent("Configs/train.csv").standardizedFileURL.path, test: nil))
    }
}
