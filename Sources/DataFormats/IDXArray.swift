import Foundation

/// One IDX array (the MNIST / Fashion-MNIST file format), validated on read:
/// magic `00 00 dtype ndim`, `ndim` big-endian u32 dimensions, then exactly
/// `product(dims) * size(dtype)` big-endian elements. Gzipped files (1f 8b) are inflated only as
/// far as the header allows.
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
        let header: IDXHeader
        let bytes: [UInt8]
        if Gzip.isGzip(raw) {
            (header, bytes) = try Self.inflate(raw, name: name)
        } else {
            header = try IDXHeader(raw, name: name)
            bytes = raw
        }
        let have = bytes.count - header.size
        let expected = header.payloadSize
        if have < expected {
            throw DataError(name, "truncated: header says \(header.payloadText), file has \(have)")
        }
        if have > expected {
            throw DataError(
                name, "trailing bytes: header says \(header.payloadText), file has \(have) (\(have - expected) extra)")
        }
        self.dataType = header.dataType
        self.dims = header.dims
        self.payload = bytes
        self.payloadOffset = header.size
    }

    /// Inflates a gzipped IDX file no further than its header allows: the 4-byte magic, then the
    /// dimensions, then the payload they call for and one byte more. That byte is a "trailing
    /// bytes" error at once, so a small file whose header claims a small array can never inflate
    /// into gigabytes. Returns the header and the inflated bytes (header and payload).
    private static func inflate(_ raw: [UInt8], name: String) throws -> (IDXHeader, [UInt8]) {
        let inflater = try GzipInflater(raw, name: name)
        var bytes = [UInt8]()
        try inflater.inflate(into: &bytes, upTo: 4)
        if bytes.count == 4 { try inflater.inflate(into: &bytes, upTo: 4 + 4 * Int(bytes[3])) }
        let header = try IDXHeader(bytes, name: name)
        let end = header.size + header.payloadSize
        try inflater.inflate(into: &bytes, upTo: end + 1)
        guard bytes.count <= end else {
            throw DataError(
                name,
                "trailing bytes: header says \(header.payloadText), the gzip stream inflates to more (stopped at the first extra byte)"
            )
        }
        return (header, bytes)
    }

    /// The elements as Float32, [count] in row-major order. u8 values are scaled to [0, 1]
    /// (divided by 255) when `scaleBytes`; every other type is converted as is.
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
                        let hi = UInt64(Self.u32(b + 8 * i))
                        let lo = UInt64(Self.u32(b + 8 * i + 4))
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
                case .int16:
                    for i in 0..<n { o[i] = Int32(Int16(bitPattern: UInt16(b[2 * i]) << 8 | UInt16(b[2 * i + 1]))) }
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
