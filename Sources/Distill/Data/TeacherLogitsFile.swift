import DataFormats
import Foundation
import NN
import SafeTensors

/// `teacher.logits: FILE`: a teacher's logits [N, K] over the training file, row i for the
/// file's sample i (before kd's validation hold-out, `data.limit` and shuffling), written by any
/// framework: a NumPy `.npy` (float32 or float64), or a `.safetensors` file with a tensor named
/// `logits` or a single F32 tensor.
public enum TeacherLogitsFile {
    /// The file's matrix as it is, [rows, columns] row-major.
    public static func read(path: String) throws -> (rows: Int, columns: Int, values: [Float]) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw DataError(path, "no such file (expected the teacher's logits, 'teacher.logits')")
        }
        guard !isFolder.boolValue else {
            throw DataError(path, "is a folder (expected the teacher's logits file, 'teacher.logits')")
        }
        guard path.lowercased().hasSuffix(".safetensors") else { return try NPYReader.readMatrix(path: path) }
        let file = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: path))
        let name: String
        if file.tensors["logits"] != nil {
            name = "logits"
        } else if file.names.count == 1, file.tensors[file.names[0]]?.dtype == .f32 {
            name = file.names[0]
        } else {
            throw DataError(
                path,
                "holds \(file.names.count) tensors and none named 'logits' (expected a tensor 'logits' or a single F32 tensor)"
            )
        }
        let info = file.tensors[name]!
        guard [.f32, .f64, .f16, .bf16].contains(info.dtype) else {
            throw DataError(path, "tensor '\(name)' is \(info.dtype.rawValue); teacher logits must be floats")
        }
        guard info.shape.count == 2 else {
            throw DataError(
                path, "tensor '\(name)' has shape \(info.shape); teacher logits are a 2-D array [N, K]")
        }
        do {
            return (info.shape[0], info.shape[1], try file.floats(name))
        } catch let e as SafeTensorsError {
            throw DataError(path, e.description)
        }
    }

    /// The logits of the training split, row i for training sample i (gathered through
    /// `splits.trainFileRows`), after checking the file: N rows, one per sample of the training
    /// file (also with `data.limit`: the file covers the whole training file), K = `classes`
    /// columns (the student's outputs), every value finite.
    public static func load(path: String, splits: DataSplits, classes: Int) throws -> Tensor {
        let (rows, columns, values) = try read(path: path)
        let n = splits.trainFileCount
        guard rows == n else {
            throw DataError(
                path,
                "has \(rows) rows, the training file \(splits.train.name) has \(n) samples (one row of teacher logits per sample, in file order)"
            )
        }
        guard columns == classes else {
            throw DataError(path, "has \(columns) logits per row, the student outputs \(classes) classes")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw DataError(
                path, "row \(bad / columns) (counting from 0) holds \(values[bad]); teacher logits must be finite")
        }
        let count = splits.train.count
        let table = Tensor(shape: [count, columns])
        table.data.withUnsafeMutableBufferPointer { dst in
            values.withUnsafeBufferPointer { src in
                for i in 0..<count {
                    (dst.baseAddress! + i * columns).update(
                        from: src.baseAddress! + splits.trainFileRow(i) * columns, count: columns)
                }
            }
        }
        return table
    }
}
