import Foundation

/// Beta and Gamma deviates from one SplitMix64 stream, for the mixing weights of `MixPairs`.
///
/// Gamma(a) by Marsaglia and Tsang (2000): with d = a − 1/3 and c = 1 / sqrt(9d), draw a
/// standard normal z (Box-Muller in Double) and u uniform in (0, 1); v = (1 + cz)³
/// is accepted when v > 0 and log u < z²/2 + d(1 − v + log v), giving d·v. For a < 1 the
/// boost Gamma(a) = Gamma(a + 1)·U^(1/a) is used. Beta(a, b) = X / (X + Y) with X ~ Gamma(a),
/// Y ~ Gamma(b), computed from log X and log Y so that tiny shapes (whose Gamma draws underflow)
/// still give a weight in [0, 1].
public enum BetaSampler {
    /// Uniform in (0, 1) (never 0, so its logarithm is finite), 53 bits.
    @inline(__always)
    static func openUnit(_ g: inout SplitMix64) -> Double {
        (Double(g.next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// A standard normal deviate by Box-Muller in Double (two uniforms, the cosine branch).
    @inline(__always)
    static func normal(_ g: inout SplitMix64) -> Double {
        let r = (-2 * log(openUnit(&g))).squareRoot()
        return r * cos(2 * Double.pi * openUnit(&g))
    }

    /// log of a Gamma(shape, 1) deviate; shape > 0.
    public static func logGamma(shape: Double, _ g: inout SplitMix64) -> Double {
        precondition(shape > 0, "BetaSampler: Gamma shape \(shape) <= 0")
        if shape < 1 {
            let boost = log(openUnit(&g)) / shape
            return logGamma(shape: shape + 1, &g) + boost
        }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            let z = normal(&g)
            let t = 1 + c * z
            guard t > 0 else { continue }
            let v = t * t * t
            let logU = log(openUnit(&g))
            if logU < 0.5 * z * z + d * (1 - v + log(v)) { return log(d) + log(v) }
        }
    }

    /// A Beta(a, b) deviate in [0, 1]; a, b > 0.
    public static func beta(_ a: Double, _ b: Double, _ g: inout SplitMix64) -> Double {
        let logX = logGamma(shape: a, &g)
        let logY = logGamma(shape: b, &g)
        // X / (X + Y) = 1 / (1 + exp(log Y − log X))
        return 1 / (1 + exp(logY - logX))
    }
}
