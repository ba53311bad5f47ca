import Dispatch

/// The one clock kd times things with: monotonic seconds since an arbitrary origin (never
/// jumps with the wall clock), cheap enough to read in a spin loop or around every layer.
public enum MonotonicClock {
    /// Seconds since an arbitrary fixed origin.
    @inline(__always)
    public static var seconds: Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
}
