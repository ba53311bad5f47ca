import Foundation

/// Serialises a JSON-compatible dictionary (String, Int, Double, Float, Bool, arrays, nested
/// dictionaries) with sorted keys; non-finite numbers become null, as JSON has no NaN.
enum JSONText {
    static func encode(_ object: [String: Any], pretty: Bool = false) -> String {
        let clean = sanitize(object)
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        guard let data = try? JSONSerialization.data(withJSONObject: clean, options: options) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func sanitize(_ value: Any) -> Any {
        switch value {
        case let f as Float: return f.isFinite ? Double(f) : NSNull()
        case let d as Double: return d.isFinite ? d : NSNull()
        case let array as [Any]: return array.map(sanitize)
        case let dict as [String: Any]: return dict.mapValues(sanitize)
        default: return value
        }
    }
}
