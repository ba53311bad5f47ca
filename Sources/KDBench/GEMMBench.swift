import Distill
import Foundation

/// One sgemm shape as a layer uses it: `C[m, n] = op(A)[m, k] · op(B)[k, n]`.
public struct GEMMShape: Hashable, Sendable {
    public let transA: Bool
    public let transB: Bool
    public let m: Int
    public let n: Int
    public let k: Int

    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    public var label: String { "\(transA ? "T" : "N")\(transB ? "T" : "N") \(m)x\(n)x\(k)" }
}

/// sgemm throughput on this machine, measured through `NN.sgemm` (the engine's only BLAS call).
enum GEMMBench {
    /// GFLOP/s of `shape`: the median of 5 timed runs, each repeating the product for at least
    /// `minSeconds / 5`, after one warm-up.
    static func gflops(_ shape: GEMMShape, minSeconds: Double) -> Double {
        let (m, n, k) = (shape.m, shape.n, shape.k)
        var rng = SplitMix64(seed: 7)
        let a = (0..<(m * k)).map { _ in rng.uniform(-1, 1) }
        let b = (0..<(k * n)).map { _ in rng.uniform(-1, 1) }
        var c = [Float](repeating: 0, count: m * n)
        let lda = shape.transA ? m : k
        let ldb = shape.transB ? k : n
        func once() {
            sgemm(
                shape.transA ? .transposed : .none, shape.transB ? .transposed : .none, m: m, n: n, k: k,
                a: a, lda: lda, b: b, ldb: ldb, c: &c, ldc: n)
        }
        once()
        var rates: [Double] = []
        for _ in 0..<5 {
            var reps = 0
            let start = MonotonicClock.seconds
            repeat {
                once()
                reps += 1
            } while MonotonicClock.seconds - start < minSeconds / 5
            rates.append(shape.flops * Double(reps) / (MonotonicClock.seconds - start) / 1e9)
        }
        return median(rates)
    }

    /// The sgemm calls one training step of `model` makes at batch `batch` (forward, and the
    /// two backward products per Linear/Conv2d layer, inside residual blocks too; the first layer
    /// with parameters computes no input gradient unless it is a block).
    static func trainingShapes(of model: Sequential, batch: Int) -> [GEMMShape] {
        layerProducts(of: model, batch: batch).flatMap {
            [$0.forward, $0.weightGradient] + ($0.inputGradient.map { [$0] } ?? [])
        }
    }

    /// The samples/s that `shapes`, the sgemm calls of one batch of `batch` samples, would allow
    /// at the measured `rates` (GFLOP/s per shape) if nothing else took time.
    static func boundSamplesPerSecond(_ shapes: [GEMMShape], batch: Int, rates: [GEMMShape: Double]) -> Double {
        Double(batch) / shapes.reduce(0.0) { $0 + $1.flops / ((rates[$1] ?? .nan) * 1e9) }
    }

    /// The sgemm calls of one eval-mode forward pass of `model` at batch `batch`.
    static func forwardShapes(of model: Sequential, batch: Int) -> [GEMMShape] {
        layerProducts(of: model, batch: batch).map(\.forward)
    }

    /// The products of one Linear or Conv2d layer.
    private struct LayerProducts {
        let forward: GEMMShape
        let weightGradient: GEMMShape
        /// nil for the first layer with parameters (outside a block): nothing upstream needs it.
        let inputGradient: GEMMShape?
    }

    private static func layerProducts(of model: Sequential, batch: Int) -> [LayerProducts] {
        var products: [LayerProducts] = []
        var seenParameters = false
        addLayerProducts(of: model, batch: batch, to: &products, seenParameters: &seenParameters)
        return products
    }

    private static func addLayerProducts(
        of model: Sequential, batch: Int, to products: inout [LayerProducts], seenParameters: inout Bool
    ) {
        for (index, layer) in model.layers.enumerated() {
            let input = model.layerInputShapes[index]
            let first = !seenParameters
            seenParameters = seenParameters || !layer.parameters.isEmpty
            if let block = layer as? Residual {
                for part in [block.body] + (block.shortcut.map { [$0] } ?? []) {
                    addLayerProducts(of: part, batch: batch, to: &products, seenParameters: &seenParameters)
                }
            } else if let dense = layer as? Dense {
                let (i, o) = (dense.inFeatures, dense.outFeatures)
                products.append(
                    LayerProducts(
                        forward: GEMMShape(transA: false, transB: true, m: batch, n: o, k: i),
                        weightGradient: GEMMShape(transA: true, transB: false, m: o, n: i, k: batch),
                        inputGradient: first ? nil : GEMMShape(transA: false, transB: false, m: batch, n: i, k: o)))
            } else if let conv = layer as? Conv2d, let out = try? conv.outputShape(for: input) {
                let patch = conv.inChannels * conv.kernelSize * conv.kernelSize
                let columns = batch * out[1] * out[2]
                products.append(
                    LayerProducts(
                        forward: GEMMShape(transA: false, transB: false, m: conv.outChannels, n: columns, k: patch),
                        weightGradient: GEMMShape(
                            transA: false, transB: true, m: conv.outChannels, n: patch, k: columns),
                        inputGradient: first
                            ? nil : GEMMShape(transA: true, transB: false, m: patch, n: columns, k: conv.outChannels)))
            }
        }
    }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
