import CZlib
import Foundation

/// Inflates a gzip stream a piece at a time, so a reader can stop as soon as it has the bytes
/// it can use: concatenated members are joined (as `zcat` does); a corrupt, truncated or
/// junk-followed stream is a `DataError` naming `name`.
final class GzipInflater {
    private let input: [UInt8]
    private let name: String
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    /// Input bytes inflate has consumed.
    private var consumed = 0
    /// Bytes produced so far, over every member.
    private(set) var inflated = 0
    /// True once the last member has ended and no input is left.
    private(set) var finished = false
    /// Where inflate writes before the bytes are appended to the caller's output.
    private var scratch = [UInt8](repeating: 0, count: 1 << 16)

    /// Sets up inflation of `input` (a complete gzip file); nothing is inflated yet.
    init(_ input: [UInt8], name: String) throws {
        guard !input.isEmpty else { throw DataError(name, "empty gzip file") }
        self.input = input
        self.name = name
        stream.initialize(to: z_stream())
        // 15 + 16: gzip wrapper only, largest window.
        guard inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            throw DataError(name, "zlib: cannot initialise the inflater")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// The uncompressed size the gzip trailer claims (ISIZE, mod 2^32, of the last member only):
    /// a capacity hint, never trusted beyond a caller's limit.
    private var claimedSize: Int {
        let n = input.count
        guard n >= 18 else { return 0 }
        return Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
    }

    /// Appends inflated bytes to `output` until it holds `total` bytes or the stream ends, and
    /// never makes `output` hold (or reserve) more than `total`.
    func inflate(into output: inout [UInt8], upTo total: Int) throws {
        guard output.count < total, !finished else { return }
        // Deflate expands at most 1032:1, so no stream inflates past that, whatever its ISIZE says.
        let plausible = min(claimedSize, input.count.multipliedReportingOverflow(by: 1032).partialValue)
        output.reserveCapacity(min(total, output.count + plausible, 1 << 30))
        while output.count < total && !finished {
            let room = min(total - output.count, scratch.count)
            let (status, produced) = scratch.withUnsafeMutableBufferPointer { out in
                input.withUnsafeBufferPointer { inBuf in
                    let offered = min(inBuf.count - consumed, Int(UInt32.max))
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress! + consumed)
                    stream.pointee.avail_in = UInt32(offered)
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = UInt32(room)
                    let status = CZlib.inflate(stream, Z_NO_FLUSH)
                    consumed += offered - Int(stream.pointee.avail_in)
                    return (status, room - Int(stream.pointee.avail_out))
                }
            }
            if output.capacity < output.count + produced {
                output.reserveCapacity(min(total, max(2 * output.capacity, output.count + produced)))
            }
            output.append(contentsOf: scratch[0..<produced])
            inflated += produced
            try handle(status)
        }
    }

    /// Acts on one `inflate` result: the next member, the end, or the error it stands for.
    private func handle(_ status: Int32) throws {
        switch status {
        case Z_OK:
            return
        case Z_STREAM_END:
            let rest = input.count - consumed
            if rest == 0 {
                finished = true
            } else if rest >= 2 && input[consumed] == 0x1F && input[consumed + 1] == 0x8B {
                // Another member follows (concatenated gzip).
                guard inflateReset(stream) == Z_OK else { throw DataError(name, "zlib: cannot reset the inflater") }
            } else {
                throw DataError(name, "corrupt gzip: \(rest) trailing bytes after the compressed stream")
            }
        case Z_BUF_ERROR:
            if consumed == input.count {
                throw DataError(
                    name,
                    "truncated gzip: the compressed stream ends early (\(input.count) bytes read, \(inflated) bytes inflated)"
                )
            }
        default:
            let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
            throw DataError(name, "corrupt gzip: \(detail)")
        }
    }
}
