import DataFormats

/// Data sets from the parsers of `DataFormats`: the labels are checked here (negative, or
/// outside the class count), naming the file they came from.
extension Dataset {
    /// A parsed CSV file as a data set named `name` (default: `file`, the CSV's path).
    public init(csv table: CSVTable, file: String, name: String? = nil, classCount: Int? = nil) throws {
        try self.init(
            name: name ?? file, samples: table.samples, sampleShape: table.sampleShape, labels: table.labels,
            classCount: classCount, labelSource: file)
    }

    /// An IDX images file and its labels file as one data set (counts must agree, labels in range).
    public init(idxImages images: String, labels: String, name: String, classCount: Int? = nil) throws {
        let x = try IDXReader.readImages(path: images)
        let y = try IDXReader.readLabels(path: labels)
        guard x.count == y.count else {
            throw DataError(labels, "count mismatch: \(y.count) labels for \(x.count) images in \(images)")
        }
        try self.init(
            name: name, samples: x.samples, sampleShape: x.sampleShape, labels: y,
            classCount: classCount, labelSource: labels)
    }
}
