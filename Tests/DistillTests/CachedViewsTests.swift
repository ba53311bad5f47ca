import NN
import XCTest

@testable import Distill

/// `TeacherTargets.cachedViews`: view v holds the teacher's outputs for exactly the batch the
/// trainer's epoch v augments (so epoch e of a run with V views reads what a live teacher
/// would give on its view), and the view cycles with the epoch.
final class CachedViewsTests: XCTestCase {
    func testEachViewIsTheLiveTeacherOnThatEpochsAugmentedBatch() throws {
        var rng = SplitMix64(seed: 5)
        let spec = ModelSpec(
            name: "t", input: [1, 6, 6], initScheme: "default", layers: [.flatten, .linear(out: 4, bias: true)])
        let teacher = TeacherModel(model: try ModelBuilder.build(spec, rng: &rng))
        let n = 12
        let samples = (0..<(n * 36)).map { _ in rng.normal() }
        let dataset = try Dataset(
            name: "d", samples: samples, sampleShape: [1, 6, 6], labels: (0..<n).map { Int32($0 % 4) },
            classCount: 4)
        let augment = CropFlip(padding: 2, cropProbability: 1, flipProbability: 0.5)
        let key = AugmentKey(seed: 7, phase: 8, epoch: 0)
        let views = TeacherTargets.cachedViews(
            teachers: [teacher], dataset: dataset, output: .softened(temperature: 2), views: 3, augment: augment,
            key: key)
        XCTAssertEqual(views.viewCount, 3)
        let live = TeacherTargets.live(teachers: [teacher], temperature: 2)
        let indices = [9, 2, 5, 0, 11]
        let fromViews = Tensor(shape: [0])
        let fromLive = Tensor(shape: [0])
        var previous: [Float] = []
        for epoch in 0..<5 {
            let batch = Tensor(
                shape: [indices.count, 1, 6, 6], data: indices.flatMap { Array(samples[($0 * 36)..<($0 * 36 + 36)]) })
            var epochKey = key
            epochKey.epoch = epoch % 3
            augment.apply(to: batch, indices: indices, key: epochKey)
            views.beginEpoch(epoch)
            views.fill(fromViews, indices: indices, input: batch)
            live.fill(fromLive, indices: indices, input: batch)
            XCTAssertEqual(fromViews.shape, [indices.count, 4])
            for (a, b) in zip(fromViews.data, fromLive.data) { XCTAssertEqual(a, b, accuracy: 1e-6, "epoch \(epoch)") }
            if epoch == 1 || epoch == 2 { XCTAssertNotEqual(fromViews.data, previous, "views differ") }
            if epoch == 3 {
                views.beginEpoch(0)
                let first = Tensor(shape: [0])
                views.fill(first, indices: indices, input: batch)
                XCTAssertEqual(first.data, fromViews.data, "epoch 3 reads view 0")
            }
            previous = fromViews.data
        }
    }
}
