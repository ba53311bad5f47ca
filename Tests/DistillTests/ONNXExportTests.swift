import Foundation
import NN
import XCTest

@testable import Distill

/// The hand-written protobuf encoder against wire-format facts, and the ONNX graph kd builds.
/// (onnx.checker and onnxruntime read real exports in kdTests/ONNXRuntimeTests.)
final class ONNXExportTests: XCTestCase {
    func testWireFormat() {
        var w = ProtobufWriter()
        w.int(1, 150)  // the protobuf docs' example: 08 96 01
        XCTAssertEqual(w.buffer, [0x08, 0x96, 0x01])

        w = ProtobufWriter()
        w.string(2, "testing")  // 12 07 74 65 73 74 69 6e 67
        XCTAssertEqual(w.buffer, [0x12, 0x07] + Array("testing".utf8))

        w = ProtobufWriter()
        w.int(3, -1)  // negative int64: ten bytes of two's complement
        XCTAssertEqual(w.buffer, [0x18] + [UInt8](repeating: 0xFF, count: 9) + [0x01])

        w = ProtobufWriter()
        w.float(2, 1.0)  // fixed32, little-endian 0x3F800000
        XCTAssertEqual(w.buffer, [0x15, 0x00, 0x00, 0x80, 0x3F])

        w = ProtobufWriter()
        w.ints(8, [1, 2])  // repeated, unpacked: one key per element
        XCTAssertEqual(w.buffer, [0x40, 0x01, 0x40, 0x02])

        w = ProtobufWriter()
        w.message(3) { $0.int(1, 150) }  // embedded message: 1a 03 08 96 01
        XCTAssertEqual(w.buffer, [0x1A, 0x03, 0x08, 0x96, 0x01])

        w = ProtobufWriter()
        w.int(20, 7)  // field 20: two-byte key (20 << 3 = 160)
        XCTAssertEqual(w.buffer, [0xA0, 0x01, 0x07])
    }

    func testGraphOfACNN() throws {
        let spec = ModelSpec(
            name: "g", input: [1, 8, 8],
            layers: [
                .conv2d(out: 2, kernel: 3, stride: 1, padding: 1, bias: false), .batchNorm(eps: 1e-3, momentum: 0.1),
                .relu,
                .avgPool2d(kernel: 3, stride: 2, padding: 1), .flatten, .dropout(p: 0.5), .linear(out: 3, bias: true),
                .dropout(p: 0.1),
            ])
        var rng = SplitMix64(seed: 2)
        let model = try ModelBuilder.build(spec, rng: &rng)
        let proto = try ONNXExport.graphModel(
            model: model, spec: spec, normalization: Normalization(mean: [0.5], std: [0.25]))
        XCTAssertEqual(
            proto.graph.nodes.map(\.opType), ["Conv", "BatchNormalization", "Relu", "AveragePool", "Flatten", "Gemm"])
        XCTAssertEqual(proto.graph.nodes.first?.inputs, ["input", "0.weight"])
        XCTAssertEqual(proto.graph.nodes.last?.outputs, ["logits"])
        XCTAssertEqual(
            proto.graph.nodes[1].inputs, ["0.Conv", "1.weight", "1.bias", "1.running_mean", "1.running_var"])
        XCTAssertEqual(
            proto.graph.initializers.map(\.name),
            ["0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "6.weight", "6.bias"])
        XCTAssertEqual(proto.graph.initializers.first?.dims, [2, 1, 3, 3])
        XCTAssertEqual(proto.metadata.map(\.key), ["kd.spec", "kd.normalize", "kd.input", "kd.output"])
        XCTAssertEqual(try ModelSpec(json: proto.metadata[0].value), spec)
        let data = proto.serialized()
        XCTAssertEqual(Array(data.prefix(2)), [0x08, 0x07])  // ir_version 7 first
        XCTAssertGreaterThan(data.count, 4 * model.stateDict.reduce(0) { $0 + $1.value.count })
    }

    /// A residual block: its body's and shortcut's nodes named by state_dict prefix, then Add
    /// (body, shortcut or the block's input) and Relu; global pooling is GlobalAveragePool + Flatten.
    func testGraphOfAResidualModel() throws {
        let spec = ModelSpec(
            name: "r", input: [2, 8, 8],
            layers: [
                .conv2d(out: 4, kernel: 3, stride: 1, padding: 1, bias: false),
                .residual(
                    body: [.relu, .conv2d(out: 4, kernel: 3, stride: 1, padding: 1, bias: false)], shortcut: .identity,
                    relu: false),
                .residual(
                    body: [
                        .conv2d(out: 6, kernel: 3, stride: 2, padding: 1, bias: false),
                        .batchNorm(eps: 1e-5, momentum: 0.1),
                    ],
                    shortcut: .projection(stride: 2, batchNorm: true), relu: true),
                .globalAvgPool, .linear(out: 3, bias: true),
            ])
        var rng = SplitMix64(seed: 3)
        let proto = try ONNXExport.graphModel(
            model: try ModelBuilder.build(spec, rng: &rng), spec: spec, normalization: nil)
        XCTAssertEqual(
            proto.graph.nodes.map(\.name),
            [
                "0.Conv", "1.body.0.Relu", "1.body.1.Conv", "1.Add", "2.body.0.Conv", "2.body.1.BatchNormalization",
                "2.shortcut.0.Conv", "2.shortcut.1.BatchNormalization", "2.Add", "2.Relu", "3.GlobalAveragePool",
                "3.Flatten", "4.Gemm",
            ])
        XCTAssertEqual(proto.graph.nodes[3].inputs, ["1.body.1.Conv", "0.Conv"])
        XCTAssertEqual(proto.graph.nodes[4].inputs, ["1.Add", "2.body.0.weight"])
        XCTAssertEqual(proto.graph.nodes[6].inputs, ["1.Add", "2.shortcut.0.weight"])
        XCTAssertEqual(proto.graph.nodes[6].attributes.count, 5)
        XCTAssertEqual(proto.graph.nodes[8].inputs, ["2.body.1.BatchNormalization", "2.shortcut.1.BatchNormalization"])
        XCTAssertEqual(proto.graph.nodes.last?.outputs, ["logits"])
        XCTAssertEqual(proto.graph.initializers.map(\.name).first { $0.hasPrefix("2.shortcut") }, "2.shortcut.0.weight")
    }

    /// A layer kd cannot write as ONNX fails with one line naming it and what is supported.
    func testUnsupportedLayerIsAOneLineError() throws {
        final class Swish: Layer {
            let kind = "Swish"
            func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
            func forward(_ x: Tensor, training: Bool) -> Tensor { x }
            func backward(_ dy: Tensor) -> Tensor { dy }
        }
        let model = try Sequential([Flatten(), Dense(inFeatures: 4, outFeatures: 2), Swish()], inputShape: [1, 2, 2])
        let spec = ModelSpec(name: "custom", input: [1, 2, 2], layers: [.flatten, .linear(out: 2, bias: true)])
        XCTAssertThrowsError(try ONNXExport.serialized(model: model, spec: spec, normalization: nil)) { error in
            XCTAssertEqual(
                "\(error)",
                "model 'custom': layer 2 (Swish) has no ONNX export (supported: Linear, Conv2d, ReLU, MaxPool2d, AvgPool2d, GlobalAvgPool2d, BatchNorm1d, BatchNorm2d, Flatten, Dropout, Residual)"
            )
        }
    }

    func testModelOfOnlyDropoutStillProducesLogits() throws {
        let model = try Sequential([Dropout(p: 0.5, rng: SplitMix64(seed: 1))], inputShape: [3])
        let proto = try ONNXExport.graphModel(
            model: model, spec: ModelSpec(name: "d", input: [3], layers: [.dropout(p: 0.5)]), normalization: nil)
        XCTAssertEqual(proto.graph.nodes.map(\.opType), ["Identity"])
        XCTAssertEqual(proto.graph.nodes[0].outputs, ["logits"])
    }
}
