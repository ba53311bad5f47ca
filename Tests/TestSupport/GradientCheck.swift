import NN
import XCTest

/// Finite-difference gradient check, the second oracle beside the PyTorch fixtures.
///
/// The scalar loss is L = sum(y * w) with y = layer.forward(x) and a fixed random w (seeded),
/// summed in Double; so dL/dy = w is what `backward` receives. Every element of x and of every
/// parameter is nudged by +-epsilon and (L+ - L-) / (2 epsilon) is compared with the layer's
/// dx and parameter gradients, relative to the largest analytic magnitude (as `differences`).
/// Prints "[gradcheck] label/x: ..." lines. Keep problems small: this costs two forwards per
/// element. Forward must be deterministic in `training` mode (not for Dropout).
public func assertGradientsMatchFiniteDifferences(
    _ layer: Layer, input x: Tensor, training: Bool = true, epsilon: Float = 1e-2, tolerance: Float = 1e-3,
    seed: UInt64 = 99, _ label: String, file: StaticString = #filePath, line: UInt = #line
) {
    var rng = SplitMix64(seed: seed)
    let y0 = layer.forward(x, training: training)
    let w = Tensor(shape: y0.shape, data: (0..<y0.count).map { _ in rng.uniform(-1, 1) })
    for p in layer.parameters { p.zeroGrad() }
    let analyticX = layer.backward(w).data
    let analyticParams = layer.parameters.map { $0.grad.data }

    func loss() -> Double {
        let y = layer.forward(x, training: training)
        return zip(y.data, w.data).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    func numeric(_ tensor: Tensor) -> [Float] {
        (0..<tensor.count).map { i in
            let saved = tensor.data[i]
            tensor.data[i] = saved + epsilon
            let plus = loss()
            tensor.data[i] = saved - epsilon
            let minus = loss()
            tensor.data[i] = saved
            return Float((plus - minus) / (2 * Double(epsilon)))
        }
    }
    func report(_ what: String, _ analytic: [Float], _ numeric: [Float]) {
        let stats = differences(analytic, numeric)
        print(
            String(
                format: "[gradcheck] %@/%@: max abs %.3e, max rel %.3e (n=%d)",
                label, what, stats.maxAbs, stats.maxRel, analytic.count))
        XCTAssertLessThanOrEqual(
            stats.maxRel, tolerance, "\(label)/\(what): finite differences disagree",
            file: file, line: line)
        XCTAssertTrue(
            numeric.contains { $0 != 0 }, "\(label)/\(what): all-zero gradient proves nothing",
            file: file, line: line)
    }

    report("dx", analyticX, numeric(x))
    for (p, analytic) in zip(layer.parameters, analyticParams) {
        report("d\(p.name)", analytic, numeric(p.value))
    }
}
