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

/// One IDX array (the MNIST / Fashion-MNIST file format), validated on read:
/// magic `00 00 dtype ndim`, `ndim` big-endian u32 dimensions, then exactly
/// `product(dims) * size(dtype)` big-endian elements. Gzipped files (1f 8b) are inflated first.
public struct IDXArray: Sendable {
    /// The file it came from (for messages).
    public let name: String
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

    /// The elements as Float32. u8 values are scaled to [0, 1] (divided by 255) when `scaleBytes`;
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

    /// The elements as integers (for label files). Floating-point elements must be whole numbers
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

/// Reads IDX image and label files into the shapes `Dataset` wants.
public enum IDXReader {
    /// An images file: [N, H, W] -> samples of [1, H, W]; [N, C, H, W] -> [C, H, W]; [N, D] -> [D].
    /// u8 pixels are scaled to [0, 1].
    public static func readImages(path: String) throws -> (samples: [Float], sampleShape: [Int], count: Int) {
        let array = try IDXArray(contentsOf: path)
        let dims = array.dims
        let sampleShape: [Int]
        switch dims.count {
        case 2: sampleShape = [dims[1]]
        case 3: sampleShape = [1, dims[1], dims[2]]
        case 4: sampleShape = Array(dims[1...])
        default:
            throw DataError(path, "an images file needs 2, 3 or 4 dimensions ([N, D], [N, H, W] or [N, C, H, W]), header has \(dims.count): \(dims)")
        }
        return (array.floats(), sampleShape, dims[0])
    }

    /// A labels file: [N] integers.
    public static func readLabels(path: String) throws -> [Int32] {
        let array = try IDXArray(contentsOf: path)
        guard array.dims.count == 1 else {
            throw DataError(path, "a labels file needs 1 dimension [N], header has \(array.dims.count): \(array.dims)")
        }
        return try array.integers()
    }

    /// An images file and its labels file as one `Dataset` (counts must agree, labels in range).
    public static func readDataset(images: String, labels: String, name: String, classCount: Int? = nil) throws -> Dataset {
        let x = try readImages(path: images)
        let y = try readLabels(path: labels)
        guard x.count == y.count else {
            throw DataError(labels, "count mismatch: \(y.count) labels for \(x.count) images in \(images)")
        }
        return try Dataset(name: name, samples: x.samples, sampleShape: x.sampleShape, labels: y,
                           classCount: classCount, labelSource: labels)
    }
}

/// The bytes of `path`, or one clear error naming the path and what was expected there.
func readFileBytes(_ path: String, expected: String) throws -> [UInt8] {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        throw DataError(path, "no such file (expected \(expected))")
    }
    guard !isDir.boolValue else { throw DataError(path, "is a folder (expected \(expected))") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DataError(path, "cannot read the file (expected \(expected))")
    }
    return [UInt8](data)
}
