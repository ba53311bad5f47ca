import CZlib
import Foundation

/// gzip in memory through zlib: detection by the 1f 8b magic, whole-buffer inflate and deflate.
public enum Gzip {
    /// True when `bytes` starts with the gzip magic 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Inflates a complete gzip stream (concatenated members are joined, as `zcat` does).
    /// Throws a `DataError` naming `name` when the stream is corrupt, truncated or followed by junk.
    public static func decompress(_ input: [UInt8], name: String) throws -> [UInt8] {
        var output = [UInt8]()
        // The trailer's ISIZE (uncompressed size mod 2^32) is a good first guess at the capacity.
        if input.count >= 18 {
            let n = input.count
            let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
            output.reserveCapacity(min(isize, 1 << 30))
        }
        var stream = z_stream()
        // 15 + 16: gzip wrapper only, largest window.
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(name, "zlib: cannot initialise the inflater")
        }
        defer { inflateEnd(&stream) }

        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var consumed = 0
        try input.withUnsafeBufferPointer { inBuf in
            guard let base = inBuf.baseAddress else { throw DataError(name, "empty gzip file") }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = UInt32(inBuf.count)
            while true {
                let status: Int32 = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(chunk)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk - Int(stream.avail_out)
                output.append(contentsOf: buffer[0..<produced])
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    consumed = inBuf.count - Int(stream.avail_in)
                    let rest = inBuf.count - consumed
                    if rest == 0 { return }
                    // Another member follows (concatenated gzip), or junk does.
                    if rest >= 2 && inBuf[consumed] == 0x1F && inBuf[consumed + 1] == 0x8B {
                        guard inflateReset(&stream) == Z_OK else { throw DataError(name, "zlib: cannot reset the inflater") }
                        continue
                    }
                    throw DataError(name, "corrupt gzip: \(rest) trailing bytes after the compressed stream")
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 {
                        throw DataError(name, "truncated gzip: the compressed stream ends early (\(inBuf.count) bytes read, \(output.count) bytes inflated)")
                    }
                    continue
                default:
                    let detail = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw DataError(name, "corrupt gzip: \(detail)")
                }
            }
        }
        return output
    }

    /// Compresses `input` into a single gzip member (used by tests and writers).
    public static func compress(_ input: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
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
