import Foundation
import NN
import SafeTensors
import XCTest

/// A PyTorch-generated reference file from Tests/Fixtures (see generate_fixtures.py).
public struct Fixture {
    public let name: String
    public let file: SafeTensorsFile

    /// The folder holding the committed fixtures.
    public static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Loads Tests/Fixtures/<name>.safetensors.
    public init(_ name: String) throws {
        self.name = name
        self.file = try SafeTensorsFile(contentsOf: Fixture.folder.appendingPathComponent("\(name).safetensors"))
    }

    /// Tensor `key` with its stored shape.
    public func tensor(_ key: String) throws -> Tensor {
        guard let info = file.tensors[key] else { throw SafeTensorsError("\(name): no tensor '\(key)'") }
        return Tensor(shape: info.shape, data: try file.floats(key))
    }

    /// Tensor `key` as integers (labels, counts).
    public func ints(_ key: String) throws -> [Int] {
        try file.floats(key).map { Int($0) }
    }

    /// A metadata value saved by the generator's keyword arguments, JSON-decoded.
    public func meta<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T {
        guard let text = file.metadata[key] else { throw SafeTensorsError("\(name): no metadata '\(key)'") }
        return try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}

/// Compares `actual` with a PyTorch reference, prints the max absolute and relative difference
/// (relative to the reference's largest magnitude), and fails past `tolerance`.
public func assertMatches(
    _ actual: [Float], _ expected: [Float], tolerance: Float = 1e-4, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.count == expected.count else {
        XCTFail("\(label): \(actual.count) values, reference has \(expected.count)", file: file, line: line)
        return
    }
    let stats = differences(actual, expected)
    print(
        String(
            format: "[fixture] %@: max abs %.3e, max rel %.3e (n=%d)", label, stats.maxAbs, stats.maxRel, actual.count))
    XCTAssertLessThanOrEqual(
        stats.maxRel, tolerance, "\(label): max rel \(stats.maxRel) (abs \(stats.maxAbs)) > \(tolerance)",
        file: file, line: line)
}

/// Tensor form of `assertMatches`; shapes must agree too.
public func assertMatches(
    _ actual: Tensor, _ expected: Tensor, tolerance: Float = 1e-4, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.shape, expected.shape, "\(label): shape", file: file, line: line)
    assertMatches(actual.data, expected.data, tolerance: tolerance, label, file: file, line: line)
}

/// Max |a - e| and that divided by max |e| (floored at 1e-12): an error relative to the
/// reference's scale, so near-zero entries do not inflate it.
public func differences(_ actual: [Float], _ expected: [Float]) -> (maxAbs: Float, maxRel: Float) {
    var maxAbs: Float = 0
    var scale: Float = 0
    for (a, e) in zip(actual, expected) {
        if a.isNaN != e.isNaN { return (.infinity, .infinity) }
        maxAbs = max(maxAbs, abs(a - e))
        scale = max(scale, abs(e))
    }
    return (maxAbs, maxAbs / max(scale, 1e-12))
}
