import Foundation

/// Little-endian element decoding from safetensors bytes to Float32.
enum ElementDecoding {
    /// `count` elements of `dtype` from `raw` (exactly count x dtype.size bytes), as Float.
    static func floats(_ raw: Data, dtype: DType, count: Int) throws -> [Float] {
        var out = [Float](repeating: 0, count: count)
        raw.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
            for i in 0..<count {
                let at = i * dtype.size
                switch dtype {
                case .f32:
                    out[i] = Float(bitPattern: src.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
                case .f64:
                    out[i] = Float(
                        Double(bitPattern: src.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian))
                case .f16: out[i] = Float(halfBits: src.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian)
                case .bf16:
                    out[i] = Float(
                        bitPattern: UInt32(src.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian) << 16)
                case .i64: out[i] = Float(Int64(littleEndian: src.loadUnaligned(fromByteOffset: at, as: Int64.self)))
                case .i32: out[i] = Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: at, as: Int32.self)))
                case .i16: out[i] = Float(Int16(littleEndian: src.loadUnaligned(fromByteOffset: at, as: Int16.self)))
                case .i8: out[i] = Float(src.loadUnaligned(fromByteOffset: at, as: Int8.self))
                case .u64: out[i] = Float(UInt64(littleEndian: src.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
                case .u32: out[i] = Float(UInt32(littleEndian: src.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                case .u16: out[i] = Float(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
                case .u8, .bool: out[i] = Float(src.loadUnaligned(fromByteOffset: at, as: UInt8.self))
                }
            }
        }
        return out
    }
}

extension Float {
    /// IEEE 754 half-precision bits to Float (normals, subnormals, infinities, NaN).
    init(halfBits h: UInt16) {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1.0p-24
            self = sign == 0 ? magnitude : -magnitude
        } else if exponent == 31 {
            self = Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        } else {
            self = Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
        }
    }
}
