import DataFormats
import FuzzSupport

/// CSV reader: the first byte picks options (header mode, label column, shape), the rest is the file.
/// A parsed table must hold one sample of `sampleShape` per label.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let selector = data[0]
    let headers: [CSVOptions.Header] = [.auto, .present, .absent]
    let shapes: [[Int]?] = [nil, [2], [1, 2, 2], [0]]
    let options = CSVOptions(
        labelColumn: Int(selector >> 4 & 3), header: headers[Int(selector % 3)],
        scale: 255, shape: shapes[Int(selector >> 2 & 3)])
    if let table = try? CSVReader.parse(bytes: bytes, file: "fuzz.csv", options: options) {
        precondition(
            table.samples.count == table.rowsRead * table.sampleShape.reduce(1, *), "samples do not match the labels")
    }
    return 0
}

/// The entry point SwiftPM links as `main`: runs libFuzzer with `fuzzCSV`.
@_cdecl("FuzzCSV_main")
public func fuzzCSVMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzCSV(data!, size) }
}
