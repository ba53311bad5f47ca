import Distill
import FileTestSupport
import Foundation
import NN
import TestSupport
import XCTest

/// The `residual` block and `global_avgpool` layer of model specs: parsing and defaults, the
/// shape checks made when a spec is read (one line naming file, line and layer), the built
/// model's state_dict names against PyTorch's, and the shipped ResNet-8 specs.
final class ResidualSpecTests: XCTestCase {
    static let models = Fixture.folder.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Models")

    /// fixtures_residual.py's training network as a spec.
    let small = """
        input: [2, 8, 8]
        layers:
          - conv2d: {out: 4, kernel: 3, padding: 1, bias: false}
          - batchnorm
          - relu
          - residual:
              body: [{conv2d: {out: 4, kernel: 3, padding: 1, bias: false}}, batchnorm, relu,
                     {conv2d: {out: 4, kernel: 3, padding: 1, bias: false}}, batchnorm]
          - residual:
              body: [{conv2d: {out: 6, kernel: 3, stride: 2, padding: 1, bias: false}}, batchnorm, relu,
                     {conv2d: {out: 6, kernel: 3, padding: 1, bias: false}}, batchnorm]
              shortcut: {projection: {stride: 2}}
          - global_avgpool
          - flatten
          - linear: {out: 5}
        """

    func testParsesBlocksWithDefaults() throws {
        let spec = try ModelSpec(
            yaml: """
                input: [3, 8, 8]
                layers:
                  - residual: {body: [relu]}
                  - residual: {body: [{conv2d: {out: 4, kernel: 1}}], shortcut: projection, relu: false}
                  - residual:
                      body: [{conv2d: {out: 4, kernel: 3, stride: 2, padding: 1}}]
                      shortcut: {projection: {stride: 2, batchnorm: false}}
                  - global_avgpool
                """, file: "r.yaml")
        XCTAssertEqual(
            spec.layers,
            [
                .residual(body: [.relu], shortcut: .identity, relu: true),
                .residual(
                    body: [.conv2d(out: 4, kernel: 1, stride: 1, padding: 0, bias: true)],
                    shortcut: .projection(stride: 1, batchNorm: true), relu: false),
                .residual(
                    body: [.conv2d(out: 4, kernel: 3, stride: 2, padding: 1, bias: true)],
                    shortcut: .projection(stride: 2, batchNorm: false), relu: true),
                .globalAvgPool,
            ])
        XCTAssertEqual(try ModelSpec(json: spec.toJSON()), spec)
        var rng = SplitMix64(seed: 1)
        let model = try ModelBuilder.build(spec, rng: &rng)
        XCTAssertEqual(model.outputShape, [4])
        XCTAssertEqual(
            model.stateDict.map(\.key),
            [
                "1.body.0.weight", "1.body.0.bias", "1.shortcut.0.weight", "1.shortcut.1.weight", "1.shortcut.1.bias",
                "1.shortcut.1.running_mean", "1.shortcut.1.running_var", "1.shortcut.1.num_batches_tracked",
                "2.body.0.weight", "2.body.0.bias", "2.shortcut.0.weight",
            ])
    }

    /// The spec's state_dict keys and shapes are those of the PyTorch network of the fixture.
    func testStateDictNamesEqualPyTorchs() throws {
        let spec = try ModelSpec(yaml: small, file: "resnet-small.yaml")
        var rng = SplitMix64(seed: 2)
        let model = try ModelBuilder.build(spec, rng: &rng)
        let fixture = try Fixture("train_resnet_sgd_ce")
        XCTAssertEqual(model.stateDict.map(\.key), try fixture.meta("state_dict_keys", as: [String].self))
        for entry in model.stateDict {
            XCTAssertEqual(entry.value.count, try fixture.tensor("init.\(entry.key)").count, entry.key)
        }
        // Initialised inside the blocks too: every conv weight drawn, every BatchNorm reset.
        for (key, layer) in model.leafLayers where layer is Conv2d {
            XCTAssertTrue(layer.parameters[0].value.data.contains { $0 != 0 }, key)
        }
    }

    /// The shipped ResNet-8 specs: torch_kd.py's parameter counts.
    func testShippedResNet8Specs() throws {
        for (file, parameters) in [
            ("resnet8-teacher", 308_074), ("resnet8-student", 77_754), ("resnet8-thin", 19_810),
        ] {
            let spec = try ModelSpec.load(path: Self.models.appendingPathComponent("\(file).yaml").path)
            var rng = SplitMix64(seed: 3)
            let model = try ModelBuilder.build(spec, rng: &rng)
            XCTAssertEqual(model.parameterCount, parameters, file)
            XCTAssertEqual(model.outputShape, [10], file)
            XCTAssertEqual(model.stateDict.last?.key, "8.bias", file)
            print("[resnet] \(file): \(model.parameterCount) parameters, \(Double(model.flopsPerSample) / 1e6) MFLOPs")
        }
    }

    func testMalformedBlocksAreOneLineErrors() {
        let cases: [(String, [String])] = [
            (
                "input: [2, 8, 8]\nlayers:\n  - relu\n  - residual:\n      body:\n        - conv2d: {out: 4, kernel: 3, stride: 2, padding: 1}\n",
                [
                    "bad.yaml:4: 'layers[1].residual': the body gives [4, 4, 4] (body[0] conv2d makes [2, 8, 8] into [4, 4, 4]) but the identity shortcut gives [2, 8, 8]"
                ]
            ),
            (
                "input: [2, 8, 8]\nlayers:\n  - residual:\n      body: [{conv2d: {out: 4, kernel: 3, stride: 2, padding: 1}}]\n      shortcut: projection\n",
                [
                    "bad.yaml:5: 'layers[0].residual.shortcut': the body gives [4, 4, 4] but the projection shortcut (1x1 conv, stride 1) gives [4, 8, 8]"
                ]
            ),
            (
                "input: [2, 8, 8]\nlayers:\n  - residual: {body: []}\n",
                ["bad.yaml:3: 'layers[0].residual.body' must list at least one layer"]
            ),
            (
                "input: [2, 8, 8]\nlayers:\n  - residual: {}\n",
                ["bad.yaml:3: missing required key 'layers[0].residual.body'"]
            ),
            (
                "input: [784]\nlayers:\n  - global_avgpool\n",
                ["bad.yaml:3: 'layers[0]': GlobalAvgPool2d expects a per-sample shape [C, H, W], found [784]"]
            ),
            (
                "input: [2, 8, 8]\nlayers:\n  - residual:\n      body:\n        - relu\n        - residual: {body: [relu]}\n",
                ["bad.yaml:6: 'layers[0].residual.body[1]': a residual block cannot sit inside another block's body"]
            ),
            (
                "input: [2, 8, 8]\nlayers:\n  - residual: {body: [relu], shortcut: dense}\n",
                ["bad.yaml:3: 'layers[0].residual.shortcut' must be one of identity, projection, got 'dense'"]
            ),
            (
                "input: [2, 8, 8]\nlayers:\n  - residual: {body: [relu], shortcut: {projection: {strde: 2}}}\n",
                ["bad.yaml:3: unknown key 'layers[0].residual.shortcut.projection.strde'"]
            ),
            (
                "input: [2, 8, 8]\nlayers:\n  - residual:\n      body:\n        - flatten\n        - linear: {out: 3}\n",
                ["bad.yaml:3: 'layers[0].residual': the body gives [3]"]
            ),
            (
                "input: [2, 8, 8]\nlayers:\n  - residual:\n      body:\n        - relu\n        - linear: {out: 3}\n",
                ["bad.yaml:6: 'layers[0].residual.body[1]': linear needs a flat input"]
            ),
        ]
        for (yaml, parts) in cases {
            assertThrowsMessage(try ModelSpec(yaml: yaml, file: "Models/bad.yaml"), contains: parts)
        }
        assertThrowsMessage(
            try ModelSpec(
                json:
                    #"{"name":"j","input":[2,4,4],"init":"default","layers":[{"residual":{"body":[],"shortcut":{"identity":{}},"relu":true}}]}"#
            ), contains: ["invalid model spec: layers[0].residual.body is empty"])
    }
}
