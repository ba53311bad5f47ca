import Foundation

/// One tensor's entry in a safetensors header.
public struct TensorInfo: Sendable, Equatable {
    public let dtype: DType
    public let shape: [Int]
    /// Byte range within the data buffer (after the header).
    public let range: Range<Int>

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A parsed safetensors file (format: 8-byte little-endian header length N, N bytes of JSON
/// header `{name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}`, then the
/// data buffer). Parsing validates everything before any tensor is trusted.
public struct SafeTensorsFile: Sendable {
    /// Largest header accepted, in bytes.
    public static let maxHeaderBytes = 100_000_000

    /// Tensor entries by name.
    public let tensors: [String: TensorInfo]
    /// Names in data-buffer order (ascending offset).
    public let names: [String]
    /// The free-form string map under "__metadata__".
    public let metadata: [String: String]
    /// The data buffer (the bytes after the header).
    public let buffer: Data

    /// Reads and validates the file at `url`.
    public init(contentsOf url: URL) throws {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url)
        } catch {
            throw SafeTensorsError("\(url.path): cannot read file")
        }
        do {
            try self.init(bytes: bytes)
        } catch let error as SafeTensorsError {
            throw SafeTensorsError("\(url.path): \(error.description)")
        }
    }

    /// Parses and validates a whole safetensors file held in memory.
    public init(bytes: Data) throws {
        guard bytes.count >= 8 else {
            throw SafeTensorsError("file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let base = bytes.startIndex
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[base + i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw SafeTensorsError("header length \(headerLength) exceeds the \(Self.maxHeaderBytes)-byte limit")
        }
        guard Int(headerLength) <= bytes.count - 8 else {
            throw SafeTensorsError("header length \(headerLength) runs past the end of the \(bytes.count)-byte file")
        }
        let headerData = bytes[(base + 8)..<(base + 8 + Int(headerLength))]
        let header = try HeaderParser.parse(headerData)
        let buffer = bytes[(base + 8 + Int(headerLength))...]
        try HeaderParser.checkLayout(header.tensors, bufferLength: buffer.count)
        self.tensors = header.tensors
        self.names = header.tensors.sorted {
            $0.value.range.lowerBound < $1.value.range.lowerBound
                || ($0.value.range.lowerBound == $1.value.range.lowerBound && $0.key < $1.key)
        }.map(\.key)
        self.metadata = header.metadata
        self.buffer = Data(buffer)
    }

    /// The raw bytes of tensor `name`.
    public func rawBytes(_ name: String) throws -> Data {
        guard let info = tensors[name] else { throw SafeTensorsError("no tensor named '\(name)'") }
        return buffer[(buffer.startIndex + info.range.lowerBound)..<(buffer.startIndex + info.range.upperBound)]
    }

    /// Tensor `name` converted to Float32 (from F32, F64, F16, BF16 or any integer type).
    public func floats(_ name: String) throws -> [Float] {
        guard let info = tensors[name] else { throw SafeTensorsError("no tensor named '\(name)'") }
        let raw = try rawBytes(name)
        return try ElementDecoding.floats(raw, dtype: info.dtype, count: info.elementCount)
    }
}
