import Foundation

/// JSONSerialization keeps the last of two equal keys silently; the safetensors rules forbid
/// duplicate tensor names, so this scans the top level of a (valid) JSON object for them.
enum DuplicateKeyScanner {
    /// The first top-level key that occurs twice, or nil.
    static func firstDuplicateTopLevelKey(in data: Data) -> String? {
        let bytes = [UInt8](data)
        var seen = Set<String>()
        var depth = 0
        var index = 0
        var expectingKey = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                expectingKey = depth == 1 && byte == UInt8(ascii: "{")
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: ","):
                expectingKey = depth == 1
            case UInt8(ascii: "\""):
                let start = index + 1
                index = start
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                if expectingKey, depth == 1 {
                    let raw = Data(bytes[start..<min(index, bytes.count)])
                    let key = decodeJSONString(raw)
                    if !seen.insert(key).inserted { return key }
                    expectingKey = false
                }
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// The value of a JSON string literal's body (escapes resolved).
    private static func decodeJSONString(_ body: Data) -> String {
        let quoted = Data("\"".utf8) + body + Data("\"".utf8)
        return (try? JSONDecoder().decode(String.self, from: quoted)) ?? String(decoding: body, as: UTF8.self)
    }
}
