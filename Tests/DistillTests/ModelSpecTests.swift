import Distill
import Foundation
import XCTest

final class ModelSpecTests: XCTestCase {
    let cnn = """
        name: cnn-student
        input: [1, 28, 28]
        init: orthogonal
        layers:
          - conv2d: {out: 8, kernel: 3, padding: 1}
          - batchnorm: {}
          - relu
          - maxpool2d: {kernel: 2}
          - avgpool2d: {kernel: 2, stride: 1, padding: 1}
          - flatten:
          - dropout: {p: 0.2}
          - linear: {out: 10, bias: false}
        """

    func testParsesEveryLayerWithDefaults() throws {
        let spec = try ModelSpec(yaml: cnn, file: "Models/cnn.yaml")
        XCTAssertEqual(spec.name, "cnn-student")
        XCTAssertEqual(spec.input, [1, 28, 28])
        XCTAssertEqual(spec.initScheme, "orthogonal")
        XCTAssertEqual(
            spec.layers,
            [
                .conv2d(out: 8, kernel: 3, stride: 1, padding: 1, bias: true),
                .batchNorm(eps: 1e-5, momentum: 0.1),
                .relu,
                .maxPool2d(kernel: 2, stride: 2, padding: 0),
                .avgPool2d(kernel: 2, stride: 1, padding: 1),
                .flatten,
                .dropout(p: 0.2),
                .linear(out: 10, bias: false),
            ])
        let mlp = try ModelSpec(
            yaml: "input: [784]\nlayers: [flatten, {linear: {out: 10}}]\n", file: "Models/mlp-tiny.yaml")
        XCTAssertEqual(mlp.name, "mlp-tiny")
        XCTAssertEqual(mlp.initScheme, "default")
        XCTAssertEqual(mlp.layers, [.flatten, .linear(out: 10, bias: true)])
    }

    func testJSONRoundTrip() throws {
        let spec = try ModelSpec(yaml: cnn, file: "cnn.yaml")
        let json = spec.toJSON()
        XCTAssertTrue(json.contains("\"init\":\"orthogonal\""), json)
        XCTAssertEqual(try ModelSpec(json: json), spec)
        assertThrowsMessage(try ModelSpec(json: "{\"name\": 3}"), contains: ["cannot decode model spec"])
    }

    func testErrorsNameFileKeyAndLine() {
        let cases: [(String, [String])] = [
            (
                "input: [1, 28, 28]\nlayers:\n  - conv2d: {out: 8, kernal: 3}\n",
                ["bad.yaml:3: unknown key 'layers[0].conv2d.kernal'"]
            ),
            (
                "input: [1, 28, 28]\nlayers:\n  - relu\n  - dropout: {p: 1.0}\n",
                ["bad.yaml:4: 'layers[1].dropout.p' must be a number in [0, 1), got '1.0'"]
            ),
            (
                "input: [1, 28, 28]\nlayers:\n  - relu\n  - relu\n  - conv2d:\n      out: 8\n      kernel: 0\n",
                ["bad.yaml:7: 'layers[2].conv2d.kernel' must be a positive integer <= 65536, got '0'"]
            ),
            ("input: [1, 28, 28]\nlayers:\n  - linear\n", ["bad.yaml:3: missing required key 'layers[0].linear.out'"]),
            (
                "input: [1, 28, 28]\nlayers:\n  - softmax\n",
                ["bad.yaml:3: 'layers[0]': unknown layer 'softmax' (known: linear, conv2d"]
            ),
            ("input: [1, 28, 28]\nlayers: []\n", ["bad.yaml:2: 'layers' must list at least one layer"]),
            (
                "input: [1, -28]\nlayers: [relu]\n",
                ["bad.yaml:1: 'input[1]' must be a positive integer <= 65536, got '-28'"]
            ),
            ("layers: [relu]\n", ["bad.yaml:1: missing required key 'input'"]),
            (
                "input: [784]\ninit: xavier\nlayers: [relu]\n",
                ["bad.yaml:2: 'init' must be one of default, orthogonal, got 'xavier'"]
            ),
            ("input: [784]\nlayers: [relu]\nlayer: [relu]\n", ["bad.yaml:3: unknown key 'layer'"]),
            ("input: [784]\nlayers:\n  - {relu: {}, flatten: {}}\n", ["bad.yaml:3: 'layers[0]' must name one layer"]),
            ("input: [784\nlayers: [relu]\n", ["bad.yaml:", "YAML syntax error"]),
        ]
        for (yaml, parts) in cases {
            assertThrowsMessage(try ModelSpec(yaml: yaml, file: "Models/bad.yaml"), contains: parts)
        }
    }
}
