import Distill
import Foundation
import NN
import XCTest

/// `data.augment`: read, written back by `resolvedYAML()`, and every bad value one line naming
/// the key.
extension RunConfigTests {
    private var models: String {
        "teacher:\n  model: Models/kdtest-teacher.yaml\nstudent:\n  model: Models/kdtest-student.yaml\n"
    }

    func testAugmentIsReadAndWrittenBack() throws {
        let (dir, path) = try setUpFiles(
            config: "data:\n  augment: {crop: {padding: 2}, flip: {p: 0.5}}\n" + models
                + "distillation: {cache_teacher_logits: false}\n")
        let c = try RunConfig.load(path: path)
        XCTAssertEqual(c.data.augment, AugmentConfig(crop: .init(padding: 2, p: 1), flip: 0.5))
        XCTAssertEqual(
            c.data.augment?.cropFlip, CropFlip(padding: 2, cropProbability: 1, flipProbability: 0.5))
        let yaml = try c.resolvedYAML()
        let back = try RunConfig(yaml: yaml, file: dir.path + "/run/config.yaml")
        XCTAssertEqual(back.data.augment, c.data.augment, yaml)
        XCTAssertNil(try RunConfig.load(path: try setUpFiles(config: models).1).data.augment)
    }

    func testBadAugmentValuesNameTheKey() throws {
        let off = "distillation: {cache_teacher_logits: false}\n"
        let cases: [(String, [String])] = [
            (
                "data:\n  augment: {crop: {padding: -1}}\n" + models + off,
                ["run.yaml:2: 'data.augment.crop.padding' must be an integer in 0...1024, got '-1'"]
            ),
            (
                "data:\n  augment: {crop: {padding: 2, p: 1.5}}\n" + models + off,
                ["run.yaml:2: 'data.augment.crop.p' must be a probability in [0, 1], got '1.5'"]
            ),
            (
                "data:\n  augment: {flip: {p: -0.1}}\n" + models + off,
                ["run.yaml:2: 'data.augment.flip.p' must be a probability in [0, 1], got '-0.1'"]
            ),
            ("data:\n  augment: {crop: {p: 1}}\n" + models + off, ["missing required key 'data.augment.crop.padding'"]),
            ("data:\n  augment: {rotate: {p: 1}}\n" + models + off, ["run.yaml:2: unknown key 'data.augment.rotate'"]),
            (
                "data:\n  augment: {flip: {p: 0.5}}\n" + models,
                [
                    "run.yaml:2: 'distillation.cache_teacher_logits' caches the teacher's outputs for the clean images",
                    "set 'cache_teacher_logits: false'",
                ]
            ),
            (
                "data:\n  augment: {flip: {p: 0.5}}\nstudent:\n  model: Models/kdtest-vector.yaml\n",
                [
                    "run.yaml:2: 'data.augment' translates, flips and mixes images [C, H, W], but model vector takes samples [784]"
                ]
            ),
        ]
        for (yaml, parts) in cases {
            let (dir, path) = try setUpFiles(config: yaml)
            try dir.write("Models/kdtest-vector.yaml", "name: vector\ninput: [784]\nlayers: [{linear: {out: 10}}]\n")
            assertThrowsMessage(try RunConfig.load(path: path), contains: parts)
        }
    }

    func testCacheViewsIsReadWrittenBackAndRefusedWhereItCannotWork() throws {
        let augment = "data:\n  augment: {crop: {padding: 2}}\n"
        let (dir, path) = try setUpFiles(config: augment + models + "distillation: {cache_views: 4}\n")
        let c = try RunConfig.load(path: path)
        XCTAssertEqual(c.distillation.cacheViews, 4)
        let back = try RunConfig(yaml: try c.resolvedYAML(), file: dir.path + "/run/config.yaml")
        XCTAssertEqual(back.distillation, c.distillation)
        XCTAssertNil(try RunConfig.load(path: try setUpFiles(config: models).1).distillation.cacheViews)

        let cases: [(String, [String])] = [
            (
                augment + models + "distillation: {cache_views: 0}\n",
                ["run.yaml:7: 'distillation.cache_views' must be an integer in 1...1024, got '0'"]
            ),
            (
                models + "distillation: {cache_views: 4}\n",
                [
                    "run.yaml:5: 'distillation.cache_views' caches the teacher's outputs for augmented views, but 'data.augment' sets no crop or flip"
                ]
            ),
            (
                augment + models + "distillation:\n  cache_views: 4\n  cache_teacher_logits: false\n",
                ["run.yaml:9: 'distillation.cache_teacher_logits' is false", "set one of them"]
            ),
            (
                "data:\n  augment: {crop: {padding: 2}, mixup: {alpha: 0.2}}\n" + models
                    + "distillation: {cache_views: 4}\n",
                [
                    "run.yaml:7: 'distillation.cache_views' caches the teacher's outputs for cropped and flipped views",
                    "mixing is live-only",
                ]
            ),
            (
                augment + "student:\n  model: Models/kdtest-student.yaml\ndistillation: {mode: self, cache_views: 2}\n",
                ["'distillation.cache_views' caches a teacher's outputs; the self-distillation mode has no teacher"]
            ),
        ]
        for (yaml, parts) in cases {
            assertThrowsMessage(try RunConfig.load(path: try setUpFiles(config: yaml).1), contains: parts)
        }
    }

    func testMixupAndCutmixAreReadAndWrittenBack() throws {
        let (dir, path) = try setUpFiles(
            config: "data:\n  augment: {crop: {padding: 2}, mixup: {alpha: 0.2}, cutmix: {alpha: 1.0, p: 0.5}}\n"
                + models + "distillation: {cache_teacher_logits: false}\n")
        let c = try RunConfig.load(path: path)
        XCTAssertEqual(
            c.data.augment,
            AugmentConfig(crop: .init(padding: 2), mixup: .init(alpha: 0.2, p: 1), cutmix: .init(alpha: 1, p: 0.5)))
        XCTAssertEqual(c.data.augment?.kernel.mix, MixPairs(mixup: .init(alpha: 0.2), cutmix: .init(alpha: 1, p: 0.5)))
        let yaml = try c.resolvedYAML()
        XCTAssertTrue(yaml.contains("mixup"), yaml)
        let back = try RunConfig(yaml: yaml, file: dir.path + "/run/config.yaml")
        XCTAssertEqual(back.data.augment, c.data.augment, yaml)
        XCTAssertNil(
            try RunConfig.load(path: try setUpFiles(config: models + "distillation: {cache_teacher_logits: false}\n").1)
                .data.augment?.kernel.mix)
    }

    func testBadMixupAndCutmixValuesNameTheKey() throws {
        let off = "distillation: {cache_teacher_logits: false}\n"
        let cases: [(String, [String])] = [
            (
                "data:\n  augment: {mixup: {alpha: 0}}\n" + models + off,
                ["run.yaml:2: 'data.augment.mixup.alpha' must be a number in (0, 1000], got '0'"]
            ),
            (
                "data:\n  augment: {cutmix: {alpha: 1001}}\n" + models + off,
                ["run.yaml:2: 'data.augment.cutmix.alpha' must be a number in (0, 1000], got '1001'"]
            ),
            (
                "data:\n  augment: {cutmix: {alpha: 1, p: 1.5}}\n" + models + off,
                ["run.yaml:2: 'data.augment.cutmix.p' must be a probability in [0, 1], got '1.5'"]
            ),
            (
                "data:\n  augment: {mixup: {alpha: 1, q: 1}}\n" + models + off,
                ["run.yaml:2: unknown key 'data.augment.mixup.q'"]
            ),
            ("data:\n  augment: {mixup: {p: 1}}\n" + models + off, ["missing required key 'data.augment.mixup.alpha'"]),
            (
                "data:\n  augment: {mixup: {alpha: 1}}\n" + models
                    + "distillation: {cache_teacher_logits: false, loss: dkd}\n",
                [
                    "run.yaml:2: 'data.augment.mixup' mixes the labels, but 'distillation.loss: dkd' needs one target class"
                ]
            ),
            (
                "data:\n  augment: {cutmix: {alpha: 1}}\nstudent:\n  model: Models/kdtest-student.yaml\n"
                    + "distillation: {mode: self}\n",
                ["run.yaml:2: 'data.augment.cutmix' mixes the labels, but 'distillation.mode: self' (PS-KD)"]
            ),
            (
                "data:\n  augment: {mixup: {alpha: 1}}\nstudent:\n  model: Models/kdtest-vector.yaml\n",
                ["run.yaml:2: 'data.augment' translates, flips and mixes images [C, H, W], but model vector"]
            ),
        ]
        for (yaml, parts) in cases {
            let (dir, path) = try setUpFiles(config: yaml)
            try dir.write("Models/kdtest-vector.yaml", "name: vector\ninput: [784]\nlayers: [{linear: {out: 10}}]\n")
            assertThrowsMessage(try RunConfig.load(path: path), contains: parts)
        }
    }
}
