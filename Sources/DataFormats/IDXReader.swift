import Foundation

/// Reads IDX image and label files into flat samples and labels (Distill makes a `Dataset` of them).
public enum IDXReader {
    /// An images file: [N, H, W] -> samples of [1, H, W]; [N, C, H, W] -> [C, H, W]; [N, D] -> [D].
    /// u8 pixels are scaled to [0, 1]. `samples` holds `count * product(sampleShape)` values, row-major.
    public static func readImages(path: String) throws -> (samples: [Float], sampleShape: [Int], count: Int) {
        let array = try IDXArray(contentsOf: path)
        let dims = array.dims
        let sampleShape: [Int]
        switch dims.count {
        case 2: sampleShape = [dims[1]]
        case 3: sampleShape = [1, dims[1], dims[2]]
        case 4: sampleShape = Array(dims[1...])
        default:
            throw DataError(
                path,
                "an images file needs 2, 3 or 4 dimensions ([N, D], [N, H, W] or [N, C, H, W]), header has \(dims.count): \(dims)"
            )
        }
        return (array.floats(), sampleShape, dims[0])
    }

    /// A labels file: [N] integers (not yet checked against a class count).
    public static func readLabels(path: String) throws -> [Int32] {
        let array = try IDXArray(contentsOf: path)
        guard array.dims.count == 1 else {
            throw DataError(path, "a labels file needs 1 dimension [N], header has \(array.dims.count): \(array.dims)")
        }
        return try array.integers()
    }
}
