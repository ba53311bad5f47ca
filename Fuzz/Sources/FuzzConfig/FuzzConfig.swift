import Distill
import Foundation
import FuzzSupport
import NN

/// Run config and model spec YAML: the first byte picks the parser; a model spec that parses is
/// also built (layer shapes, sizes), as `kd` would.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    if data[0] & 1 == 0 {
        if let spec = try? ModelSpec(yaml: text, file: "/nonexistent/fuzz-spec.yaml") {
            var rng = SplitMix64(seed: 0)
            _ = try? ModelBuilder.build(spec, rng: &rng)
        }
    } else {
        _ = try? RunConfig(yaml: text, file: "/nonexistent/fuzz-config.yaml")
    }
    return 0
}

/// The entry point SwiftPM links as `main`: runs libFuzzer with `fuzzConfig`.
@_cdecl("FuzzConfig_main")
public func fuzzConfigMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzConfig(data!, size) }
}
