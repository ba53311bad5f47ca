#if canImport(Glibc)
    import Glibc
#endif

/// Flush-to-zero for subnormal floats on the threads that train.
///
/// Adam's first moment of a weight whose gradient is (nearly) always zero decays by β1 every
/// step down through the subnormal range (below 1.2e-38), where an x86 vector instruction
/// touching one takes a microcode assist of about a hundred cycles. In a 20-epoch run of the
/// Fashion-MNIST MLP teacher 29% and 37% of the two hidden layers' exp_avg ended subnormal and
/// epochs grew from 18 s to over 60 s. Values that small change nothing a float32 network
/// computes, so kd sets FTZ (results flushed to zero) and DAZ (inputs read as zero).
public enum Subnormals {
    /// MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6) flags.
    private static let flushFlags: UInt32 = 0x8040

    /// Sets FTZ and DAZ on the calling thread (x86-64 with glibc; elsewhere nothing changes).
    /// Threads created afterwards inherit the setting.
    public static func flushToZero() {
        #if arch(x86_64) && canImport(Glibc)
            var environment = fenv_t()
            guard fegetenv(&environment) == 0 else { return }
            environment.__mxcsr |= flushFlags
            fesetenv(&environment)
        #endif
    }

    /// Whether the calling thread flushes subnormals (FTZ and DAZ both set); false where unknown.
    public static var flushing: Bool {
        #if arch(x86_64) && canImport(Glibc)
            var environment = fenv_t()
            guard fegetenv(&environment) == 0 else { return false }
            return environment.__mxcsr & flushFlags == flushFlags
        #else
            return false
        #endif
    }
}
