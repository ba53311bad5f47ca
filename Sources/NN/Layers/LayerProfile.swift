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

    func addForward(_ layer: Int, since start: Double) { forwardSeconds[layer] += MonotonicClock.seconds - start }
    func addBackward(_ layer: Int, since start: Double) { backwardSeconds[layer] += MonotonicClock.seconds - start }

    /// Clears the sums (after warm-up steps).
    public func reset() {
        forwardSeconds = Array(repeating: 0, count: forwardSeconds.count)
        backwardSeconds = Array(repeating: 0, count: backwardSeconds.count)
    }
}
