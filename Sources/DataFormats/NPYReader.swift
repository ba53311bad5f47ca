import Foundation

/// One NumPy `.npy` array of floats (what `np.save` writes), validated on read: the magic
/// `\x93NUMPY`, format version 1.0 (u16 header length), 2.0 or 3.0 (u32), the header dict
/// `{'descr': ..., 'fortran_order': ..., 'shape': (...)}`, then exactly `product(shape)`
/// elements. Elements `<f4` and `<f8` are read (float64 converted to Float32; a finite value
/// beyond Float32's range is refused); a Fortran-order array is reordered to C order.
public struct NPYArray: Sendable {
    /// The file it came from (for messages).
    public let name: String
    /// Dimensions, outermost first ([] for a scalar).
    public let shape: [Int]
    /// The elements in C (row-major) order.
    public let values: [Float]

    /// Largest header dict accepted, in bytes (numpy's own default limit is 10,000).
    public static let maxHeaderBytes = 100_000
    /// Largest element count accepted: 2^31 (8 GiB of Float32).
    public static let maxElements = 1 << 31

    /// Reads and validates the `.npy` file at `path`.
    public init(contentsOf path: String) throws {
        try self.init(bytes: try readFileBytes(path, expected: "an NPY file"), name: path)
    }

    /// Parses and validates NPY `bytes`; `name` is used in messages.
    public init(bytes: [UInt8], name: String) throws {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard bytes.count >= 10 else {
            throw DataError(name, "not an NPY file: \(bytes.count) bytes, too short for the 10-byte preamble")
        }
        guard Array(bytes[0..<6]) == magic else {
            let shown = bytes[0..<6].map { String(format: "%02x", $0) }.joined(separator: " ")
            throw DataError(name, "not an NPY file: bad magic \(shown) (expected 93 4e 55 4d 50 59, \\x93NUMPY)")
        }
        let major = bytes[6]
        let minor = bytes[7]
        let headerLength: Int
        let headerStart: Int
        switch (major, minor) {
        case (1, 0):
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case (2, 0), (3, 0):
            guard bytes.count >= 12 else {
                throw DataError(name, "truncated: NPY \(major).0 needs a 12-byte preamble, file has \(bytes.count)")
            }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw DataError(name, "unsupported NPY format version \(major).\(minor) (kd reads 1.0, 2.0 and 3.0)")
        }
        guard headerLength <= Self.maxHeaderBytes else {
            throw DataError(name, "NPY header of \(headerLength) bytes exceeds the \(Self.maxHeaderBytes)-byte limit")
        }
        guard headerStart + headerLength <= bytes.count else {
            throw DataError(
                name,
                "truncated: NPY header says \(headerLength) bytes, file has \(bytes.count - headerStart) after the preamble"
            )
        }
        let header = try NPYHeader(bytes[headerStart..<(headerStart + headerLength)], name: name)
        let count = try Self.elementCount(header.shape, name: name)
        let itemSize = header.isDouble ? 8 : 4
        let dataStart = headerStart + headerLength
        let have = bytes.count - dataStart
        let expected = count * itemSize
        let shapeText = header.shape.map(String.init).joined(separator: "x")
        guard have >= expected else {
            throw DataError(
                name, "truncated: header says \(shapeText) \(header.descr) = \(expected) bytes, file has \(have)")
        }
        guard have == expected else {
            throw DataError(
                name,
                "trailing bytes: header says \(shapeText) \(header.descr) = \(expected) bytes, file has \(have) (\(have - expected) extra)"
            )
        }
        var values = [Float](repeating: 0, count: count)
        try bytes.withUnsafeBufferPointer { src in
            let base = UnsafeRawPointer(src.baseAddress! + dataStart)
            for i in 0..<count {
                if header.isDouble {
                    let d = Double(
                        bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                    let f = Float(d)
                    if d.isFinite && !f.isFinite {
                        throw DataError(name, "element \(i) is \(d), beyond Float32's range (about 3.4e38)")
                    }
                    values[i] = f
                } else {
                    values[i] = Float(
                        bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            }
        }
        self.name = name
        self.shape = header.shape
        self.values = header.fortranOrder ? Self.cOrder(values, shape: header.shape) : values
    }

    /// The product of `shape`, refused when it overflows or passes `maxElements`.
    static func elementCount(_ shape: [Int], name: String) throws -> Int {
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, p <= maxElements else {
                throw DataError(
                    name,
                    "NPY shape \(shape) is too large (more than \(maxElements) elements)")
            }
            count = p
        }
        return count
    }

    /// Fortran-order (first index fastest) `values` of `shape` in C order (last index fastest).
    static func cOrder(_ values: [Float], shape: [Int]) -> [Float] {
        guard shape.count >= 2, !values.isEmpty else { return values }
        var fStrides = [Int](repeating: 1, count: shape.count)
        for d in 1..<shape.count { fStrides[d] = fStrides[d - 1] * shape[d - 1] }
        var out = [Float](repeating: 0, count: values.count)
        var index = [Int](repeating: 0, count: shape.count)
        var source = 0
        for i in 0..<values.count {
            out[i] = values[source]
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                source += fStrides[d]
                if index[d] < shape[d] { break }
                source -= fStrides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}

/// The header dict of an NPY file, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`
/// padded with spaces and a newline: exactly these three keys, in any order.
struct NPYHeader {
    let descr: String
    let fortranOrder: Bool
    let shape: [Int]
    /// '<f8' (else '<f4').
    var isDouble: Bool { descr == "<f8" }

    init(_ slice: ArraySlice<UInt8>, name: String) throws {
        var p = NPYDictScanner(bytes: Array(slice), name: name)
        var descr: String?
        var fortran: Bool?
        var shape: [Int]?
        try p.expect("{")
        while true {
            p.skipSpace()
            if p.peek == UInt8(ascii: "}") { break }
            let key = try p.string()
            try p.expect(":")
            switch key {
            case "descr":
                guard descr == nil else { throw p.fault("key 'descr' given twice") }
                descr = try p.string()
            case "fortran_order":
                guard fortran == nil else { throw p.fault("key 'fortran_order' given twice") }
                fortran = try p.bool()
            case "shape":
                guard shape == nil else { throw p.fault("key 'shape' given twice") }
                shape = try p.tuple()
            default:
                throw p.fault("unknown key '\(key)' (expected 'descr', 'fortran_order', 'shape')")
            }
            p.skipSpace()
            if p.peek == UInt8(ascii: ",") { p.advance() } else { break }
        }
        try p.expect("}")
        p.skipSpace()
        guard p.atEnd else { throw p.fault("unexpected text after the closing '}'") }
        guard let descr else { throw p.fault("missing key 'descr'") }
        guard let fortran else { throw p.fault("missing key 'fortran_order'") }
        guard let shape else { throw p.fault("missing key 'shape'") }
        guard descr == "<f4" || descr == "<f8" else {
            throw DataError(
                name, "unsupported NPY dtype '\(descr)' (kd reads '<f4' float32 and '<f8' float64, little-endian)")
        }
        self.descr = descr
        self.fortranOrder = fortran
        self.shape = shape
    }
}

/// A reader of the Python literals an NPY header dict holds: quoted strings, True/False, tuples
/// of non-negative integers.
struct NPYDictScanner {
    let bytes: [UInt8]
    let name: String
    var i = 0

    init(bytes: [UInt8], name: String) {
        self.bytes = bytes
        self.name = name
    }

    var atEnd: Bool { i >= bytes.count }
    var peek: UInt8? { atEnd ? nil : bytes[i] }
    mutating func advance() { i += 1 }

    func fault(_ what: String) -> DataError {
        DataError(name, "bad NPY header dict at byte \(i): \(what)")
    }

    mutating func skipSpace() {
        while let c = peek, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { advance() }
    }

    mutating func expect(_ text: String) throws {
        skipSpace()
        let want = Array(text.utf8)
        guard i + want.count <= bytes.count, Array(bytes[i..<(i + want.count)]) == want else {
            throw fault("expected '\(text)'")
        }
        i += want.count
    }

    /// A '...' or "..." string without escapes.
    mutating func string() throws -> String {
        skipSpace()
        guard let quote = peek, quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
            throw fault("expected a quoted string")
        }
        advance()
        let start = i
        while let c = peek, c != quote {
            guard c >= 0x20, c < 0x7F, c != UInt8(ascii: "\\") else { throw fault("unexpected byte in a string") }
            advance()
        }
        guard !atEnd else { throw fault("unterminated string") }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        advance()
        return text
    }

    mutating func bool() throws -> Bool {
        skipSpace()
        if bytes[i...].starts(with: Array("True".utf8)) {
            i += 4
            return true
        }
        if bytes[i...].starts(with: Array("False".utf8)) {
            i += 5
            return false
        }
        throw fault("expected True or False")
    }

    /// `()`, `(3,)`, `(3, 4)`, `(3, 4,)`: non-negative integers of at most 18 digits, at most 32.
    mutating func tuple() throws -> [Int] {
        try expect("(")
        var dims: [Int] = []
        while true {
            skipSpace()
            if peek == UInt8(ascii: ")") { break }
            var value = 0
            var digits = 0
            while let c = peek, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                guard digits < 18 else { throw fault("dimension too large") }
                value = value * 10 + Int(c - UInt8(ascii: "0"))
                digits += 1
                advance()
            }
            guard digits > 0 else { throw fault("expected a non-negative integer dimension") }
            guard dims.count < 32 else { throw fault("more than 32 dimensions") }
            dims.append(value)
            skipSpace()
            if peek == UInt8(ascii: ",") { advance() } else { break }
        }
        try expect(")")
        return dims
    }
}

/// Reads NumPy `.npy` files.
public enum NPYReader {
    /// A 2-D float array [rows, columns] (e.g. logits [N, K]), values row-major.
    public static func readMatrix(path: String) throws -> (rows: Int, columns: Int, values: [Float]) {
        let array = try NPYArray(contentsOf: path)
        guard array.shape.count == 2 else {
            throw DataError(
                path, "expected a 2-D array [N, K], the file holds shape \(array.shape) (\(array.shape.count)-D)")
        }
        return (array.shape[0], array.shape[1], array.values)
    }
}
