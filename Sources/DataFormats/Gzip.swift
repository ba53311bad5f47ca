import CZlib
import Foundation

/// gzip in memory through zlib: detection by the 1f 8b magic, inflate with a size limit, deflate.
public enum Gzip {
    /// True when `bytes` starts with the gzip magic 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Inflates a complete gzip stream (concatenated members are joined, as `zcat` does), holding
    /// at most `limit` + 1 inflated bytes at any time: a stream that inflates to more than `limit`
    /// bytes is an error as soon as the first byte past it appears, whatever its trailer claims.
    /// Throws a `DataError` naming `name` when the stream is corrupt, truncated, followed by junk
    /// or over the limit.
    public static func decompress(_ input: [UInt8], name: String, limit: Int) throws -> [UInt8] {
        let inflater = try GzipInflater(input, name: name)
        var output = [UInt8]()
        try inflater.inflate(into: &output, upTo: limit < Int.max ? max(limit, 0) + 1 : limit)
        guard output.count <= limit else {
            throw DataError(name, "gzip inflates to more than \(limit) bytes, the most allowed here")
        }
        return output
    }

    /// Compresses `input` into a single gzip member (used by tests and writers).
    public static func compress(_ input: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var stream = z_stream()
        guard
            deflateInit2_(
                &stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else {
            throw DataError("gzip", "zlib: cannot initialise the deflater")
        }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count))) + 32
        var output = [UInt8](repeating: 0, count: bound)
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = UInt32(inBuf.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw DataError("gzip", "zlib: deflate failed (\(status))") }
        output.removeLast(bound - Int(stream.total_out))
        return output
    }
}
