import Dispatch

/// Seconds spent in each layer's forward and backward, summed over the steps of a profiled run
/// (`Sequential.profile`; `kd bench --profile` prints it).
public final class LayerProfile {
    /// Summed seconds per layer index.
    public private(set) var forwardSeconds: [Double]
    public private(set) var backwardSeconds: [Double]

    public init(layers: Int) {
        forwardSeconds = Array(repeating: 0, count: layers)
        backwardSeconds = Array(repeating: 0, count: layers)
    }

    /// Monotonic seconds.
    @inline(__always)
    static var now: Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    func addForward(_ layer: Int, since start: Double) { forwardSeconds[layer] += Self.now - start }
    func addBackward(_ layer: Int, since start: Double) { backwardSeconds[layer] += Self.now - start }

    /// Clears the sums (after warm-up steps).
    public func reset() {
        forwardSeconds = Array(repeating: 0, count: forwardSeconds.count)
        backwardSeconds = Array(repeating: 0, count: backwardSeconds.count)
    }
}
