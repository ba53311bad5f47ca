import Foundation

/// Reads a CSV data file: comma-separated, one sample per line, optional header row, optional
/// UTF-8 byte-order mark.
/// Cells may be wrapped in double quotes; blank lines are skipped.
public enum CSVReader {
    /// Reads and parses the CSV file at `path`.
    public static func read(path: String, options: CSVOptions = CSVOptions()) throws -> CSVTable {
        let bytes = try readFileBytes(path, expected: "a CSV data file")
        return try parse(bytes: bytes, file: path, options: options)
    }

    /// Parses CSV `bytes`; `file` names the source in messages. Labels are not range-checked here
    /// (`Dataset` does that against its class count).
    public static func parse(bytes: [UInt8], file: String, options: CSVOptions = CSVOptions()) throws -> CSVTable {
        guard options.scale > 0, options.scale.isFinite else {
            throw DataError(file, "csv scale must be > 0, got \(options.scale)")
        }
        guard options.labelColumn >= 0 else {
            throw DataError(file, "csv label column must be >= 0, got \(options.labelColumn)")
        }
        var features = [Float]()
        var labels = [Int32]()
        var columns = -1  // cells per row, fixed by the first data row
        var firstDataLine = 0
        var lineNumber = 0
        var sawFirstRow = false
        var headerSeen = false
        var cells = [ArraySlice<UInt8>]()
        let scale = options.scale

        // A UTF-8 byte-order mark is not part of the first cell: the header is told by content alone.
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let n = bytes.count
        while start < n {
            var end = start
            while end < n && bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = bytes[start..<lineEnd]
            start = end + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }

            cells.removeAll(keepingCapacity: true)
            var cellStart = line.startIndex
            for i in line.indices where line[i] == 0x2C {
                cells.append(trim(line[cellStart..<i]))
                cellStart = i + 1
            }
            cells.append(trim(line[cellStart..<line.endIndex]))

            if !sawFirstRow {
                sawFirstRow = true
                let isHeader: Bool
                switch options.header {
                case .present: isHeader = true
                case .absent: isHeader = false
                case .auto: isHeader = cells.contains { parseNumber($0) == nil }
                }
                if isHeader {
                    headerSeen = true
                    guard options.labelColumn < cells.count else {
                        throw DataError(
                            file,
                            "line \(lineNumber): label column \(options.labelColumn) does not exist (header has \(cells.count) columns)"
                        )
                    }
                    columns = cells.count
                    firstDataLine = lineNumber
                    continue
                }
            }
            if columns < 0 {
                columns = cells.count
                firstDataLine = lineNumber
                guard options.labelColumn < columns else {
                    throw DataError(
                        file,
                        "line \(lineNumber): label column \(options.labelColumn) does not exist (row has \(columns) columns)"
                    )
                }
                guard columns >= 2 else {
                    throw DataError(
                        file, "line \(lineNumber): a row needs a label and at least one feature, got \(columns) column")
                }
            }
            guard cells.count == columns else {
                throw DataError(
                    file,
                    "line \(lineNumber): ragged row: \(cells.count) columns, expected \(columns) (as on line \(firstDataLine))"
                )
            }
            for (c, cell) in cells.enumerated() {
                guard let v = parseNumber(cell) else {
                    throw DataError(
                        file,
                        "line \(lineNumber), column \(c + 1): not a number: '\(String(decoding: cell, as: UTF8.self))'")
                }
                if c == options.labelColumn {
                    guard let y = Int32(exactly: v) else {
                        throw DataError(
                            file,
                            "line \(lineNumber), column \(c + 1): label '\(String(decoding: cell, as: UTF8.self))' is not an integer"
                        )
                    }
                    labels.append(y)
                } else {
                    features.append(Float(v) / scale)
                }
            }
        }
        guard !labels.isEmpty else { throw DataError(file, "empty CSV: no data rows") }
        let featureCount = columns - 1
        let shape: [Int]
        if let s = options.shape {
            guard !s.isEmpty, s.allSatisfy({ $0 > 0 }), s.reduce(1, *) == featureCount else {
                throw DataError(
                    file, "csv shape \(s) holds \(s.reduce(1, *)) values, rows have \(featureCount) features")
            }
            shape = s
        } else {
            let side = Int(Double(featureCount).squareRoot().rounded())
            shape = side * side == featureCount && side > 1 ? [1, side, side] : [featureCount]
        }
        return CSVTable(samples: features, sampleShape: shape, labels: labels, headerSeen: headerSeen)
    }

    private static func trim(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var a = s.startIndex
        var b = s.endIndex
        while a < b && (s[a] == 0x20 || s[a] == 0x09) { a += 1 }
        while b > a && (s[b - 1] == 0x20 || s[b - 1] == 0x09) { b -= 1 }
        if b - a >= 2 && s[a] == 0x22 && s[b - 1] == 0x22 {
            a += 1
            b -= 1
        }
        return s[a..<b]
    }

    /// A decimal number; a fast path for plain unsigned integers (pixel values).
    static func parseNumber(_ cell: ArraySlice<UInt8>) -> Double? {
        if cell.isEmpty { return nil }
        if cell.count <= 9 {
            var v = 0
            var ok = true
            for b in cell {
                guard b >= 0x30 && b <= 0x39 else {
                    ok = false
                    break
                }
                v = v * 10 + Int(b - 0x30)
            }
            if ok { return Double(v) }
        }
        guard let v = Double(String(decoding: cell, as: UTF8.self)), v.isFinite else { return nil }
        return v
    }
}
