/// Updates parameters from their gradients, one `step` per batch.
///
/// The state (moment buffers and the step counter) is explicit, so a run can be checkpointed and
/// resumed bit for bit: `stateTensors()` snapshots it, `loadState` restores it into an optimizer
/// built over the same parameters.
public protocol Optimizer: AnyObject {
    /// The parameters updated, in the order their state is numbered ("0.exp_avg", "1.exp_avg", ...).
    var parameters: [Parameter] { get }
    /// One update of every parameter from its current `grad`, with this step's learning rate.
    func step(learningRate: Float)
    /// A copy of the state: "step" ([1], the number of steps taken) and one tensor per state slot
    /// and parameter, named "\(parameterIndex).\(slot)" as in PyTorch's optimizer state_dict
    /// ("momentum_buffer", "exp_avg", "exp_avg_sq").
    func stateTensors() -> [(name: String, tensor: Tensor)]
    /// Restores a state from `stateTensors()`; throws, changing nothing, when a name is missing or
    /// unexpected or a shape differs from its parameter's.
    func loadState(_ tensors: [String: Tensor]) throws
}

/// Why an optimizer state cannot be loaded.
public struct OptimizerStateError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The state an optimizer keeps: a step counter and, per named slot, one buffer per parameter
/// shaped like it (zero until the first step). Shared save/load and validation for all optimizers.
final class OptimizerState {
    /// Largest step count a Float "step" tensor holds exactly (2^24).
    static let maximumStep = 1 << 24

    let optimizer: String
    let slots: [String]
    /// buffers[slot][parameterIndex], each shaped like parameter `parameterIndex`.
    let buffers: [[Tensor]]
    /// Number of completed steps.
    var step = 0

    init(optimizer: String, parameters: [Parameter], slots: [String]) {
        self.optimizer = optimizer
        self.slots = slots
        self.buffers = slots.map { _ in parameters.map { Tensor(shape: $0.value.shape) } }
    }

    /// Snapshot: "step" then "\(i).\(slot)" for every parameter i and slot.
    func tensors() -> [(name: String, tensor: Tensor)] {
        var out = [(name: "step", tensor: Tensor(shape: [1], value: Float(step)))]
        for i in buffers.first?.indices ?? 0..<0 {
            for (slot, perParameter) in zip(slots, buffers) {
                out.append((name: "\(i).\(slot)", tensor: perParameter[i].clone()))
            }
        }
        return out
    }

    /// Validates every name and shape first, then copies the values in.
    func load(_ tensors: [String: Tensor]) throws {
        guard let stepTensor = tensors["step"] else { throw error("missing 'step'") }
        guard stepTensor.count == 1, let value = stepTensor.data.first, value >= 0,
            value == value.rounded(), value <= Float(Self.maximumStep)
        else { throw error("'step' must be one whole number in 0...\(Self.maximumStep), got \(stepTensor)") }
        var expected: Set<String> = ["step"]
        for (slot, perParameter) in zip(slots, buffers) {
            for (i, buffer) in perParameter.enumerated() {
                let name = "\(i).\(slot)"
                expected.insert(name)
                guard let tensor = tensors[name] else { throw error("missing '\(name)'") }
                guard tensor.shape == buffer.shape else {
                    throw error("'\(name)' has shape \(tensor.shape), parameter \(i) has shape \(buffer.shape)")
                }
            }
        }
        if let unexpected = tensors.keys.filter({ !expected.contains($0) }).sorted().first {
            throw error("unexpected '\(unexpected)' (expected \(expected.sorted().joined(separator: ", ")))")
        }
        step = Int(value)
        for (slot, perParameter) in zip(slots, buffers) {
            for (i, buffer) in perParameter.enumerated() { buffer.copy(from: tensors["\(i).\(slot)"]!) }
        }
    }

    private func error(_ message: String) -> OptimizerStateError {
        OptimizerStateError("\(optimizer) state: \(message)")
    }
}
