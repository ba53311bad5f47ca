import Foundation

/// The validated header of an IDX file: `00 00 dtype ndim`, then `ndim` big-endian u32
/// dimensions, and the payload size they imply.
struct IDXHeader {
    /// The element type.
    let dataType: IDXDataType
    /// Dimensions, outermost first, e.g. [60000, 28, 28].
    let dims: [Int]
    /// Bytes of the header: 4 + 4 * dims.count.
    let size: Int
    /// Bytes of the payload the dimensions call for: product(dims) * dataType.size.
    let payloadSize: Int

    /// Parses the header at the start of `bytes`, which hold the whole file or at least its whole
    /// header (so fewer bytes than a header needs means the file is that short); `name` is used in
    /// messages.
    init(_ bytes: [UInt8], name: String) throws {
        guard bytes.count >= 4 else {
            throw DataError(name, "not an IDX file: \(bytes.count) bytes, too short for the 4-byte magic")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            let magic = bytes[0..<4].map { String(format: "%02x", $0) }.joined(separator: " ")
            throw DataError(name, "not an IDX file: bad magic \(magic) (expected 00 00 <dtype> <ndim>)")
        }
        guard let dtype = IDXDataType(rawValue: bytes[2]) else {
            throw DataError(
                name,
                String(
                    format: "unknown IDX element type 0x%02x (expected 08 u8, 09 i8, 0b i16, 0c i32, 0d f32 or 0e f64)",
                    bytes[2]))
        }
        let ndim = Int(bytes[3])
        guard ndim >= 1 else { throw DataError(name, "IDX header has 0 dimensions") }
        let headerSize = 4 + 4 * ndim
        guard bytes.count >= headerSize else {
            throw DataError(
                name, "truncated: header needs \(headerSize) bytes for \(ndim) dimensions, file has \(bytes.count)")
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
        self.dataType = dtype
        self.dims = dims
        self.size = headerSize
        self.payloadSize = elements * dtype.size
    }

    /// The payload's size for messages: "60000x28x28 = 47040000 bytes", " of 2-byte i16" added for
    /// wider elements.
    var payloadText: String {
        let shape = dims.map(String.init).joined(separator: "x")
        let sizeNote = dataType.size == 1 ? "" : " of \(dataType.size)-byte \(dataType.name)"
        return "\(shape) = \(payloadSize) bytes\(sizeNote)"
    }
}
