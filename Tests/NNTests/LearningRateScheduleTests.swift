import NN
import TestSupport
import XCTest

/// Per-epoch learning rates against torch.optim.lr_scheduler (fixture "schedules", base 0.1).
final class LearningRateScheduleTests: XCTestCase {
    private func sequence(_ schedule: LearningRateSchedule, epochs: Int) -> [Float] {
        (0..<epochs).map { schedule.learningRate(base: 0.1, epoch: $0) }
    }

    func testSequencesMatchTorch() throws {
        let fixture = try Fixture("schedules")
        XCTAssertEqual(try fixture.meta("base", as: Double.self), 0.1)
        let cases: [(key: String, schedule: LearningRateSchedule)] = [
            ("step", .step(stepSize: 3, gamma: 0.5)),
            ("cosine", .cosine(totalEpochs: 10, minLearningRate: 0.001, warmupEpochs: 0)),
            ("cosine_warmup", .cosine(totalEpochs: 12, minLearningRate: 1e-4, warmupEpochs: 3)),
            ("cosine_warmup5", .cosine(totalEpochs: 20, minLearningRate: 0, warmupEpochs: 5)),
        ]
        for (key, schedule) in cases {
            let expected = try fixture.tensor(key).data
            assertMatches(sequence(schedule, epochs: expected.count), expected, "schedule \(key)")
        }
    }

    func testConstantAndPastTheEnd() {
        XCTAssertEqual(sequence(.constant, epochs: 3), [0.1, 0.1, 0.1])
        let cosine = LearningRateSchedule.cosine(totalEpochs: 10, minLearningRate: 0.001, warmupEpochs: 2)
        XCTAssertEqual(cosine.learningRate(base: 0.1, epoch: 10), 0.001, accuracy: 1e-9)
        XCTAssertEqual(cosine.learningRate(base: 0.1, epoch: 25), 0.001, accuracy: 1e-9, "stays at the minimum")
        XCTAssertEqual(
            LearningRateSchedule.step(stepSize: 2, gamma: 0.1).learningRate(base: 1, epoch: 5), 0.01, accuracy: 1e-9)
    }
}
