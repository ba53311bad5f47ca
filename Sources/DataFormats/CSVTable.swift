/// A parsed CSV data file: one sample per data row, the label column split off.
public struct CSVTable: Sendable {
    /// The features of every data row divided by the scale, flat: [rowsRead * product(sampleShape)].
    public let samples: [Float]
    /// Shape of one sample: the `shape` option, else [1, s, s] for s*s features, else [features].
    public let sampleShape: [Int]
    /// One label per data row, [rowsRead] (not yet checked against a class count).
    public let labels: [Int32]
    /// Whether the first non-blank row was taken as a header.
    public let headerSeen: Bool

    /// Data rows read (neither the header nor blank lines count).
    public var rowsRead: Int { labels.count }

    /// How the file was read, for logs: "csv: 20 rows, header: no".
    public var summary: String { "csv: \(rowsRead) rows, header: \(headerSeen ? "yes" : "no")" }
}
