import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which OpenBLAS kernels compute kd's products, and the correction of OpenBLAS's fallback.
///
/// OpenBLAS built with DYNAMIC_ARCH (Debian's is) picks its kernels for the CPU model when the
/// library loads. A build older than the CPU does not know the model and falls back to its SSE3
/// "Prescott" kernels (OpenBLAS issue 4267; later releases fall back by instruction set): on a
/// Xeon of family 6, model 207 (AVX-512), Debian 12's OpenBLAS 0.3.21 ran a single-threaded
/// 1024^3 sgemm at 33 GFLOP/s with them and at 161 GFLOP/s with its SkylakeX kernels. `OPENBLAS_CORETYPE` selects the kernels,
/// but only when the library loads, before `main` runs; so the kd executable re-executes itself
/// once with it set (`reexecutingWithBetterKernelsIfNeeded`) when the library chose an SSE-only
/// kernel set on a CPU with AVX2 and FMA (then "Haswell") or AVX-512 F/CD/BW/DQ/VL (then
/// "SkylakeX"). A user's own `OPENBLAS_CORETYPE`, any value, is always kept.
public enum BLASKernels {
    /// The environment variable OpenBLAS reads its kernel choice from.
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"
    /// Set by kd on re-execution: the kernel set OpenBLAS had chosen by itself.
    public static let detectedVariable = "KD_OPENBLAS_DETECTED_CORE"

    /// OpenBLAS's kernel sets that use no AVX: the fallback of an unknown CPU, or a CPU that old.
    static let sseOnlyCores: Set<String> = [
        "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai", "coppermine", "northwood",
        "banias", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat", "athlon",
    ]

    private typealias NameFunction = @convention(c) () -> UnsafeMutablePointer<CChar>?
    private static let handle = dlopen(nil, RTLD_NOW)
    private static func string(_ symbol: String) -> String? {
        guard let address = handle.flatMap({ dlsym($0, symbol) }) else { return nil }
        return unsafeBitCast(address, to: NameFunction.self)().map { String(cString: $0) }
    }

    /// The kernel set OpenBLAS runs ("SkylakeX", "Haswell", "Prescott", ...), nil when the BLAS
    /// is not OpenBLAS.
    public static var coreName: String? { string("openblas_get_corename") }

    /// OpenBLAS's build line ("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64"),
    /// nil when the BLAS is not OpenBLAS.
    public static var configuration: String? { string("openblas_get_config") }

    /// One line for logs and `kd bench`: the BLAS, its kernels and who chose them.
    public static var summary: String {
        guard let core = coreName else { return "BLAS: not OpenBLAS (its kernels are its own)" }
        let version = configuration?.split(separator: " ").prefix(2).joined(separator: " ") ?? "OpenBLAS"
        let environment = ProcessInfo.processInfo.environment
        if let detected = environment[detectedVariable], environment[coreTypeVariable] != nil {
            return "BLAS: \(version), \(core) kernels (chosen by kd: the library detected \(detected) on this CPU)"
        }
        if environment[coreTypeVariable] != nil { return "BLAS: \(version), \(core) kernels (\(coreTypeVariable))" }
        return "BLAS: \(version), \(core) kernels"
    }

    /// The kernel set to ask OpenBLAS for, or nil to keep its choice: only when `currentCore`
    /// is SSE-only while `cpuFlags` (as /proc/cpuinfo names them) offer AVX-512 or AVX2 + FMA,
    /// and only when the environment does not choose already.
    public static func betterCore(currentCore: String?, cpuFlags: Set<String>, environment: [String: String])
        -> String?
    {
        guard environment[coreTypeVariable] == nil, let current = currentCore,
            sseOnlyCores.contains(current.lowercased())
        else { return nil }
        if cpuFlags.isSuperset(of: ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]) { return "SkylakeX" }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The flags of the first processor in /proc/cpuinfo (what the kernel lets programs use);
    /// empty where there is no such file.
    public static func cpuFlags(cpuinfo path: String = "/proc/cpuinfo") -> Set<String> {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        // procfs reports size 0: read as a stream, the first processor's lines are enough.
        let text = String(decoding: handle.readData(ofLength: 1 << 16), as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Re-executes this program (/proc/self/exe, same arguments) with `OPENBLAS_CORETYPE` set
    /// to `betterCore`, when there is one; returns only when there is none or exec failed (kd
    /// then runs on the library's choice). Call first thing in `main`: before any thread is
    /// started and before MPI is initialised (the process keeps its PID, so mpirun still knows it).
    public static func reexecutingWithBetterKernelsIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard let core = coreName,
            let better = betterCore(currentCore: core, cpuFlags: cpuFlags(), environment: environment)
        else { return }
        setenv(coreTypeVariable, better, 1)
        setenv(detectedVariable, core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv(coreTypeVariable)
        unsetenv(detectedVariable)
    }
}
