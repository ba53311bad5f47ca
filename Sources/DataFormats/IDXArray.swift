import Foundation

/// One IDX array (the MNIST / Fashion-MNIST file format), validated on read:
/// magic `00 00 dtype ndim`, `ndim` big-endian u32 dimensions, then exactly
/// `product(dims) * size(dtype)` big-endian elements. Gzipped files (1f 8b) are inflated first.
public struct IDXArray: Sendable {
    /// The file it came from (for messages).
    public let name: String
    /// The element type (the magic's third byte).
    public let dataType: IDXDataType
    /// Dimensions, outermost first, e.g. [60000, 28, 28].
    public let dims: [Int]
    /// The big-endian element bytes.
    let payload: [UInt8]
    let payloadOffset: Int

    /// Elements in the array.
    public var count: Int { dims.reduce(1, *) }

    /// Reads and validates the IDX file at `path` (raw or gzipped).
    public init(contentsOf path: String) throws {
        let bytes = try readFileBytes(path, expected: "an IDX file")
        try self.init(bytes: bytes, name: path)
    }

    /// Parses and validates IDX `bytes` (raw or gzipped); `name` is used in messages.
    public init(bytes raw: [UInt8], name: String) throws {
        self.name = name
        let bytes = Gzip.isGzip(raw) ? try Gzip.decompress(raw, name: name) : raw
        guard bytes.count >= 4 else {
            throw DataError(name, "not an IDX file: \(bytes.count) bytes, too short for the 4-byte magic")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            let magic = bytes[0..<4].map { String(format: "%02x", $0) }.joined(separator: " ")
            throw DataError(name, "not an IDX file: bad magic \(magic) (expected 00 00 <dtype> <ndim>)")
        }
        guard let dtype = IDXDataType(rawValue: bytes[2]) else {
            throw DataError(name, String(format: "unknown IDX element type 0x%02x (expected 08 u8, 09 i8, 0b i16, 0c i32, 0d f32 or 0e f64)", bytes[2]))
        }
        let ndim = Int(bytes[3])
        guard ndim >= 1 else { throw DataError(name, "IDX header has 0 dimensions") }
        let headerSize = 4 + 4 * ndim
        guard bytes.count >= headerSize else {
            throw DataError(name, "truncated: header needs \(headerSize) bytes for \(ndim) dimensions, file has \(bytes.count)")
        }
        var dims = [Int]()
        var elements = 1
        for d in 0..<ndim {
            let o = 4 + 4 * d
            let v = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            guard v > 0 else { throw DataError(name, "IDX dimension \(d) is 0") }
            dims.append(v)
            let (p, overflow) = elements.multipliedReportingOverflow(by: v)
            guard !overflow, p <= Int(Int32.max) * 64 else {
                throw DataError(name, "IDX dimensions \(dims.map(String.init).joined(separator: "x")) are too large")
            }
            elements = p
        }
        let expected = elements * dtype.size
        let have = bytes.count - headerSize
        let shape = dims.map(String.init).joined(separator: "x")
        let sizeNote = dtype.size == 1 ? "" : " of \(dtype.size)-byte \(dtype.name)"
        if have < expected {
            throw DataError(name, "truncated: header says \(shape) = \(expected) bytes\(sizeNote), file has \(have)")
        }
        if have > expected {
            throw DataError(name, "trailing bytes: header says \(shape) = \(expected) bytes\(sizeNote), file has \(have) (\(have - expected) extra)")
        }
        self.dataType = dtype
        self.dims = dims
        self.payload = bytes
        self.payloadOffset = headerSize
    }

    /// The elements as Float32, [count] in row-major order. u8 values are scaled to [0, 1] (divided by 255) when `scaleBytes`;
    /// every other type is converted as is.
    public func floats(scaleBytes: Bool = true) -> [Float] {
        let n = count
        var out = [Float](repeating: 0, count: n)
        payload.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                let b = p.baseAddress! + payloadOffset
                switch dataType {
                case .uint8:
                    // Divide (not multiply by 1/255) so that 255 maps to exactly 1.
                    if scaleBytes {
                        for i in 0..<n { o[i] = Float(b[i]) / 255 }
                    } else {
                        for i in 0..<n { o[i] = Float(b[i]) }
                    }
                case .int8:
                    for i in 0..<n { o[i] = Float(Int8(bitPattern: b[i])) }
                case .int16:
                    for i in 0..<n { o[i] = Float(Int16(bitPattern: UInt16(b[2 * i]) << 8 | UInt16(b[2 * i + 1]))) }
                case .int32:
                    for i in 0..<n { o[i] = Float(Int32(bitPattern: Self.u32(b + 4 * i))) }
                case .float32:
                    for i in 0..<n { o[i] = Float(bitPattern: Self.u32(b + 4 * i)) }
                case .float64:
                    for i in 0..<n {
                        let hi = UInt64(Self.u32(b + 8 * i)), lo = UInt64(Self.u32(b + 8 * i + 4))
                        o[i] = Float(Double(bitPattern: hi << 32 | lo))
                    }
                }
            }
        }
        return out
    }

    /// The elements as integers, [count] (for label files). Floating-point elements must be whole numbers
    /// in the Int32 range.
    public func integers() throws -> [Int32] {
        let n = count
        var out = [Int32](repeating: 0, count: n)
        try payload.withUnsafeBufferPointer { p in
            try out.withUnsafeMutableBufferPointer { o in
                let b = p.baseAddress! + payloadOffset
                switch dataType {
                case .uint8: for i in 0..<n { o[i] = Int32(b[i]) }
                case .int8: for i in 0..<n { o[i] = Int32(Int8(bitPattern: b[i])) }
                case .int16: for i in 0..<n { o[i] = Int32(Int16(bitPattern: UInt16(b[2 * i]) << 8 | UInt16(b[2 * i + 1]))) }
                case .int32: for i in 0..<n { o[i] = Int32(bitPattern: Self.u32(b + 4 * i)) }
                case .float32, .float64:
                    for i in 0..<n {
                        let v: Double
                        if dataType == .float32 {
                            v = Double(Float(bitPattern: Self.u32(b + 4 * i)))
                        } else {
                            v = Double(bitPattern: UInt64(Self.u32(b + 8 * i)) << 32 | UInt64(Self.u32(b + 8 * i + 4)))
                        }
                        guard let k = Int32(exactly: v) else {
                            throw DataError(name, "element \(i) is \(v), not an integer label")
                        }
                        o[i] = k
                    }
                }
            }
        }
        return out
    }

    @inline(__always)
    private static func u32(_ p: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(p[0]) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8 | UInt32(p[3])
    }
}
