import Foundation

/// Decodes and checks the JSON header of a safetensors file.
enum HeaderParser {
    struct Header {
        var tensors: [String: TensorInfo]
        var metadata: [String: String]
    }

    /// Parses the header JSON: an object of tensor entries plus an optional "__metadata__".
    static func parse(_ data: Data) throws -> Header {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw SafeTensorsError("header is not valid JSON")
        }
        guard let root = object as? [String: Any] else {
            throw SafeTensorsError("header must be a JSON object")
        }
        if let duplicate = DuplicateKeyScanner.firstDuplicateTopLevelKey(in: data) {
            throw SafeTensorsError("tensor name '\(duplicate)' appears twice in the header")
        }
        var header = Header(tensors: [:], metadata: [:])
        for (name, value) in root {
            if name == "__metadata__" {
                header.metadata = try parseMetadata(value)
            } else {
                header.tensors[name] = try parseEntry(name, value)
            }
        }
        return header
    }

    private static func parseMetadata(_ value: Any) throws -> [String: String] {
        guard let map = value as? [String: Any] else {
            throw SafeTensorsError("__metadata__ must be an object of strings")
        }
        var result: [String: String] = [:]
        for (key, item) in map {
            guard let text = item as? String else {
                throw SafeTensorsError("__metadata__ value for '\(key)' is not a string")
            }
            result[key] = text
        }
        return result
    }

    private static func parseEntry(_ name: String, _ value: Any) throws -> TensorInfo {
        guard let entry = value as? [String: Any] else {
            throw SafeTensorsError("tensor '\(name)': entry must be an object")
        }
        let unknown = Set(entry.keys).subtracting(["dtype", "shape", "data_offsets"])
        if let key = unknown.sorted().first {
            throw SafeTensorsError("tensor '\(name)': unknown key '\(key)'")
        }
        guard let dtypeName = entry["dtype"] as? String else {
            throw SafeTensorsError("tensor '\(name)': missing or non-string 'dtype'")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw SafeTensorsError("tensor '\(name)': unknown dtype '\(dtypeName)'")
        }
        let shape = try wholeNumbers(entry["shape"], field: "shape", of: name)
        let offsets = try wholeNumbers(entry["data_offsets"], field: "data_offsets", of: name)
        guard offsets.count == 2, offsets[0] <= offsets[1] else {
            throw SafeTensorsError("tensor '\(name)': data_offsets must be [begin, end] with begin <= end")
        }
        var elements = 1
        for dim in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw SafeTensorsError("tensor '\(name)': shape \(shape) is too large") }
            elements = product
        }
        let (expected, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, expected == offsets[1] - offsets[0] else {
            throw SafeTensorsError(
                "tensor '\(name)': shape \(shape) of \(dtypeName) needs \(elements) x \(dtype.size) bytes "
                    + "but data_offsets span \(offsets[1] - offsets[0])")
        }
        return TensorInfo(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
    }

    /// A JSON array of non-negative whole numbers.
    private static func wholeNumbers(_ value: Any?, field: String, of name: String) throws -> [Int] {
        guard let items = value as? [Any] else {
            throw SafeTensorsError("tensor '\(name)': missing or non-array '\(field)'")
        }
        return try items.map { item in
            guard let number = item as? NSNumber, String(cString: number.objCType) != "c",
                let exact = Int(exactly: number.doubleValue), exact >= 0,
                number.doubleValue < 9.0e15
            else {
                throw SafeTensorsError("tensor '\(name)': '\(field)' must hold non-negative integers")
            }
            return exact
        }
    }

    /// Offsets must tile the buffer from 0 to its end: no gaps, no overlaps, nothing after.
    static func checkLayout(_ tensors: [String: TensorInfo], bufferLength: Int) throws {
        let ordered = tensors.sorted {
            ($0.value.range.lowerBound, $0.value.range.upperBound, $0.key)
                < ($1.value.range.lowerBound, $1.value.range.upperBound, $1.key)
        }
        var end = 0
        for (name, info) in ordered {
            if info.range.lowerBound > end {
                throw SafeTensorsError("tensor '\(name)': gap in the data buffer at byte \(end)")
            }
            if info.range.lowerBound < end {
                throw SafeTensorsError(
                    "tensor '\(name)': data overlaps the previous tensor at byte \(info.range.lowerBound)")
            }
            end = info.range.upperBound
        }
        if end != bufferLength {
            throw SafeTensorsError("data buffer is \(bufferLength) bytes but the tensors cover \(end)")
        }
    }
}
