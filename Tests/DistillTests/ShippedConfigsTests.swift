import Distill
import Foundation
import NN
import XCTest

/// Every shipped config and model spec loads, and its networks build for Fashion-MNIST.
final class ShippedConfigsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func files(_ folder: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(
            at: Self.root.appendingPathComponent(folder), includingPropertiesForKeys: nil
        ).filter { $0.pathExtension == "yaml" }.sorted { $0.path < $1.path }
    }

    func testEveryModelSpecBuildsForFashionMNIST() throws {
        let specs = try files("Models")
        XCTAssertGreaterThanOrEqual(specs.count, 5)
        for url in specs {
            let spec = try ModelSpec.load(path: url.path)
            var rng = SplitMix64(seed: 0)
            let model = try ModelBuilder.build(spec, rng: &rng)
            XCTAssertEqual(model.inputShape, [1, 28, 28], url.lastPathComponent)
            XCTAssertEqual(model.outputShape, [10], url.lastPathComponent)
        }
    }

    func testEveryRunConfigLoads() throws {
        let configs = try files("Configs")
        XCTAssertTrue(configs.contains { $0.lastPathComponent == "demo.yaml" })
        for url in configs {
            let config = try RunConfig.load(path: url.path)
            XCTAssertEqual(config.data.source.text, "fashion-mnist", url.lastPathComponent)
            XCTAssertTrue(config.teacher != nil || config.student != nil)
        }
    }

    func testShippedModelSizes() throws {
        let expected = [
            "mlp-teacher": 2_395_210, "mlp-student": 50_890, "cnn-student": 26_698, "resnet8-teacher": 308_074,
            "resnet8-student": 77_754, "cnn-student-mid": 105_866,
        ]
        for (name, count) in expected {
            var rng = SplitMix64(seed: 0)
            let spec = try ModelSpec.load(path: Self.root.appendingPathComponent("Models/\(name).yaml").path)
            XCTAssertEqual(try ModelBuilder.build(spec, rng: &rng).parameterCount, count, name)
        }
    }
}
