import Foundation

/// The Protocol Buffers wire format, writing only, for the few ONNX messages kd emits
/// (see ONNXProto.swift). A message is a sequence of fields, each a key varint
/// `(field_number << 3) | wire_type` followed by its value:
///
/// - wire type 0, varint: 7 bits per byte, least significant group first, high bit set on every
///   byte but the last. int32/int64 are the two's complement as 64 bits (a negative value takes
///   10 bytes); enums and bools are varints too.
/// - wire type 2, length-delimited: a varint byte count, then the bytes (strings as UTF-8, bytes,
///   embedded messages).
/// - wire type 5, 32-bit: a float as its 4 IEEE-754 bytes, little-endian.
///
/// Repeated scalars are written one key per element (the unpacked form, which every parser
/// accepts); fields at their default are still written when set, as proto2 `optional` expects.
struct ProtobufWriter {
    /// The message so far.
    private(set) var buffer: [UInt8] = []

    enum WireType: UInt64 {
        case varint = 0
        case lengthDelimited = 2
        case fixed32 = 5
    }

    private mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        buffer.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ type: WireType) {
        appendVarint(UInt64(field) << 3 | type.rawValue)
    }

    /// An int64, int32 or enum field (negative values as 64-bit two's complement).
    mutating func int(_ field: Int, _ value: Int64) {
        key(field, .varint)
        appendVarint(UInt64(bitPattern: value))
    }

    /// A repeated int64 field, unpacked.
    mutating func ints(_ field: Int, _ values: [Int64]) {
        for v in values { int(field, v) }
    }

    /// A float field.
    mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { buffer.append(contentsOf: $0) }
    }

    /// A bytes field.
    mutating func bytes<C: Collection>(_ field: Int, _ value: C) where C.Element == UInt8 {
        key(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        buffer.append(contentsOf: value)
    }

    /// A string field (UTF-8).
    mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    /// An embedded message field, written by `body` into its own buffer first (its length
    /// precedes it).
    mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        body(&inner)
        bytes(field, inner.buffer)
    }
}
