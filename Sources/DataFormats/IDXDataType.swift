import Foundation

/// Element types of the IDX format (the third magic byte).
public enum IDXDataType: UInt8, Sendable, CaseIterable {
    case uint8 = 0x08
    case int8 = 0x09
    case int16 = 0x0B
    case int32 = 0x0C
    case float32 = 0x0D
    case float64 = 0x0E

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .float64: return 8
        }
    }

    /// The short name used in messages: u8, i8, i16, i32, f32, f64.
    public var name: String {
        switch self {
        case .uint8: return "u8"
        case .int8: return "i8"
        case .int16: return "i16"
        case .int32: return "i32"
        case .float32: return "f32"
        case .float64: return "f64"
        }
    }
}
