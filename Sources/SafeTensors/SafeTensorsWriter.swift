import FileSupport
import Foundation

/// Builds a safetensors file: tensors in the order added, header padded with spaces to a
/// multiple of 8 bytes, optional string metadata. `write(to:)` is atomic.
public struct SafeTensorsWriter {
    private var entries: [(name: String, dtype: DType, shape: [Int], bytes: Data)] = []
    public var metadata: [String: String] = [:]

    public init(metadata: [String: String] = [:]) { self.metadata = metadata }

    /// Adds a Float32 tensor (`values.count` must equal the product of `shape`).
    public mutating func add(_ name: String, shape: [Int], floats values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "\(name): \(values.count) values for shape \(shape)")
        var bytes = Data(capacity: values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        entries.append((name, .f32, shape, bytes))
    }

    /// Adds an Int64 tensor (e.g. BatchNorm's num_batches_tracked, or labels).
    public mutating func add(_ name: String, shape: [Int], int64 values: [Int64]) {
        precondition(shape.reduce(1, *) == values.count, "\(name): \(values.count) values for shape \(shape)")
        var bytes = Data(capacity: values.count * 8)
        for v in values { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        entries.append((name, .i64, shape, bytes))
    }

    /// The complete file as bytes.
    public func serialized() throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        for entry in entries {
            header[entry.name] =
                [
                    "dtype": entry.dtype.rawValue, "shape": entry.shape,
                    "data_offsets": [offset, offset + entry.bytes.count],
                ] as [String: Any]
            offset += entry.bytes.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        let padding = (8 - json.count % 8) % 8
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
        var file = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        for entry in entries { file.append(entry.bytes) }
        return file
    }

    /// Writes the file to a temporary name beside `url`, then renames it over `url`
    /// (`AtomicFile`: a failed write throws a `FileWriteError`).
    public func write(to url: URL) throws {
        try AtomicFile.write(try serialized(), to: url)
    }
}
