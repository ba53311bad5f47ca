import NN

/// A rule a model spec value must satisfy: the test, and the phrase messages use for it.
/// The YAML reader and the check of embedded (JSON) specs both use these, so the two can
/// never disagree.
struct SpecRule<Value> {
    /// "a positive integer <= 65536".
    let text: String
    let test: (Value) -> Bool
}

extension SpecRule where Value == Int {
    /// Sizes, counts, kernels and strides.
    static var size: SpecRule {
        SpecRule(text: "a positive integer <= \(ModelSpec.maxSize)") { $0 > 0 && $0 <= ModelSpec.maxSize }
    }
    /// Convolution padding.
    static var offset: SpecRule {
        SpecRule(text: "an integer in [0, \(ModelSpec.maxSize)]") { $0 >= 0 && $0 <= ModelSpec.maxSize }
    }

    /// Pooling padding: at most half the kernel (the engine's rule, `PoolingWindow.maxPadding`).
    static func poolingPadding(kernel: Int) -> SpecRule {
        let most = PoolingWindow.maxPadding(kernel: kernel)
        return SpecRule(text: "at most half the kernel (\(most))") { $0 >= 0 && $0 <= most }
    }
}

extension SpecRule where Value == Double {
    /// BatchNorm eps.
    static var eps: SpecRule { SpecRule(text: "a number > 0") { $0 > 0 && $0.isFinite } }
    /// BatchNorm momentum.
    static var momentum: SpecRule { SpecRule(text: "a number in [0, 1]") { $0 >= 0 && $0 <= 1 } }
    /// Dropout probability.
    static var dropout: SpecRule { SpecRule(text: "a number in [0, 1)") { $0 >= 0 && $0 < 1 } }
}
