import Foundation

/// Sums the parameter gradients of a data-parallel step over the ranks, as Horovod's tensor
/// fusion does: every gradient is copied, in the fixed order of `parameters`, into one flat
/// buffer followed by `extras` scalars (the step's loss sums), the buffer is summed with one
/// `allreduceSum` per bucket of at most `bucketFloats` values, front to back, and copied back.
/// Every rank then holds the same sums, bit for bit. Allocates nothing after `init`.
///
/// The caller scales each rank's dL/dlogits so the sum is the global-batch gradient (see
/// `TrainingStep.apply`); nothing is divided here.
public final class GradientAllreduce {
    /// Floats per allreduce call: 4 MiB buckets.
    public static let bucketFloats = 1 << 20

    public let parameters: [Parameter]
    public let collective: Collective
    /// Scalars reduced with the gradients, after them; read and write them between steps.
    public var extras: [Float]
    /// Values of all gradients (the flat buffer holds `gradientCount + extras.count`).
    public let gradientCount: Int
    /// Bytes this rank handed to `allreduceSum` so far, and the calls it took.
    public private(set) var bytesReduced = 0
    public private(set) var calls = 0
    /// `reduce` calls (training steps) so far.
    public private(set) var steps = 0
    /// Seconds spent packing, reducing and unpacking so far.
    public private(set) var seconds = 0.0
    private var flat: [Float]

    public init(parameters: [Parameter], collective: Collective, extras: Int) {
        self.parameters = parameters
        self.collective = collective
        self.extras = [Float](repeating: 0, count: extras)
        gradientCount = parameters.reduce(0) { $0 + $1.grad.count }
        flat = [Float](repeating: 0, count: gradientCount + extras)
    }

    /// One line: bytes and calls per step (this rank's, what the ring model counts) and the
    /// seconds per step, over the steps so far.
    public var summary: String {
        let n = Double(max(steps, 1))
        return String(
            format: "allreduce: %d bytes/step in %d calls (%d gradient floats + %d sums), %.3f ms/step",
            bytesReduced / max(steps, 1), calls / max(steps, 1), gradientCount, extras.count, seconds / n * 1000)
    }

    /// Sums every parameter's `grad` and `extras` over the ranks, in place.
    public func reduce() {
        let start = MonotonicClock.seconds
        flat.withUnsafeMutableBufferPointer { buffer in
            var offset = 0
            for parameter in parameters {
                parameter.grad.data.withUnsafeBufferPointer { grad in
                    (buffer.baseAddress! + offset).update(from: grad.baseAddress!, count: grad.count)
                }
                offset += parameter.grad.count
            }
            for (k, value) in extras.enumerated() { buffer[offset + k] = value }
            var bucketStart = 0
            while bucketStart < buffer.count {
                let end = min(buffer.count, bucketStart + Self.bucketFloats)
                collective.allreduceSum(UnsafeMutableBufferPointer(rebasing: buffer[bucketStart..<end]))
                bytesReduced += (end - bucketStart) * MemoryLayout<Float>.size
                calls += 1
                bucketStart = end
            }
            offset = 0
            for parameter in parameters {
                parameter.grad.data.withUnsafeMutableBufferPointer { grad in
                    grad.baseAddress!.update(from: buffer.baseAddress! + offset, count: grad.count)
                }
                offset += parameter.grad.count
            }
            for k in extras.indices { extras[k] = buffer[offset + k] }
        }
        seconds += MonotonicClock.seconds - start
        steps += 1
    }
}
