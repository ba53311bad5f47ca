import Foundation

/// Where the data comes from, parsed from a source string:
///
/// - `fashion-mnist`: the Debian package `dataset-fashion-mnist` (its folder from `dpkg -L`,
///   else /usr/share/datasets/fashion-mnist); a data-dir override (`--data-dir` or KD_DATA_DIR)
///   wins: DIR/fashion-mnist if that holds the files, else DIR itself.
/// - `mnist`: the override (DIR/mnist, else DIR), else /usr/share/datasets/mnist if present.
/// - `idx:DIR`: a folder with train-images-idx3-ubyte, train-labels-idx1-ubyte,
///   t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each with or without .gz).
/// - `idx:IMAGES,LABELS` (one split: training only) or `idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS`.
/// - `csv:TRAIN.csv` or `csv:TRAIN.csv,TEST.csv`.
public enum DataSource: Equatable, Sendable {
    case fashionMNIST
    case mnist
    case idxDirectory(String)
    case idxFiles(trainImages: String, trainLabels: String, testImages: String?, testLabels: String?)
    case csv(train: String, test: String?)

    /// The accepted forms, for messages.
    public static let forms =
        "fashion-mnist, mnist, idx:DIR, idx:IMAGES,LABELS, idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS, csv:TRAIN.csv[,TEST.csv]"

    /// Parses a source string; the error says which forms are accepted.
    public init(parsing text: String) throws {
        let s = text.trimmingCharacters(in: .whitespaces)
        func parts(_ rest: Substring) -> [String] {
            rest.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        switch s.lowercased() {
        case "fashion-mnist", "fashion_mnist", "fashionmnist":
            self = .fashionMNIST
            return
        case "mnist":
            self = .mnist
            return
        default: break
        }
        if s.hasPrefix("idx:") {
            let p = parts(s.dropFirst(4))
            guard !p.contains(where: \.isEmpty) else {
                throw DataError(text, "empty path in data source (expected \(Self.forms))")
            }
            switch p.count {
            case 1: self = .idxDirectory(p[0])
            case 2: self = .idxFiles(trainImages: p[0], trainLabels: p[1], testImages: nil, testLabels: nil)
            case 4: self = .idxFiles(trainImages: p[0], trainLabels: p[1], testImages: p[2], testLabels: p[3])
            default: throw DataError(text, "idx: takes a folder, IMAGES,LABELS or four files, got \(p.count) paths")
            }
            return
        }
        if s.hasPrefix("csv:") {
            let p = parts(s.dropFirst(4))
            guard !p.contains(where: \.isEmpty) else {
                throw DataError(text, "empty path in data source (expected \(Self.forms))")
            }
            switch p.count {
            case 1: self = .csv(train: p[0], test: nil)
            case 2: self = .csv(train: p[0], test: p[1])
            default: throw DataError(text, "csv: takes TRAIN.csv or TRAIN.csv,TEST.csv, got \(p.count) paths")
            }
            return
        }
        throw DataError(text, "unknown data source (expected \(Self.forms))")
    }

    /// The source string form (inverse of `init(parsing:)`).
    public var text: String {
        switch self {
        case .fashionMNIST: return "fashion-mnist"
        case .mnist: return "mnist"
        case .idxDirectory(let d): return "idx:\(d)"
        case .idxFiles(let a, let b, let c, let d):
            return "idx:" + ([a, b] + [c, d].compactMap { $0 }).joined(separator: ",")
        case .csv(let train, let test): return "csv:" + ([train] + [test].compactMap { $0 }).joined(separator: ",")
        }
    }

    /// The same source with every file path passed through `resolve` (config-relative paths).
    public func mapPaths(_ resolve: (String) -> String) -> DataSource {
        switch self {
        case .fashionMNIST, .mnist: return self
        case .idxDirectory(let d): return .idxDirectory(resolve(d))
        case .idxFiles(let a, let b, let c, let d):
            return .idxFiles(
                trainImages: resolve(a), trainLabels: resolve(b), testImages: c.map(resolve), testLabels: d.map(resolve)
            )
        case .csv(let train, let test): return .csv(train: resolve(train), test: test.map(resolve))
        }
    }

    /// The data-dir override when `--data-dir` is absent: env KD_DATA_DIR.
    private static func environmentDataDir() -> String? {
        guard let v = ProcessInfo.processInfo.environment["KD_DATA_DIR"], !v.isEmpty else { return nil }
        return v
    }

    /// The concrete files to read.
    public enum Files: Equatable, Sendable {
        case idx(trainImages: String, trainLabels: String, testImages: String?, testLabels: String?)
        case csv(train: String, test: String?)
    }

    /// Finds the files, checking that each exists (one error naming the missing path and what
    /// was expected there). `dataDir` is the `--data-dir` override; without it KD_DATA_DIR is
    /// used (this is the one place that reads it).
    public func files(dataDir override: String?) throws -> Files {
        let dataDir = override ?? Self.environmentDataDir()
        switch self {
        case .fashionMNIST:
            if let dir = dataDir {
                return try Self.standardFiles(
                    in: Self.preferSubfolder(dir, "fashion-mnist"), source: "fashion-mnist (data dir \(dir))")
            }
            return try Self.standardFiles(
                in: Self.debianFolder(package: "dataset-fashion-mnist", fallback: "/usr/share/datasets/fashion-mnist"),
                source:
                    "fashion-mnist (Debian package dataset-fashion-mnist; install it or pass --data-dir / set KD_DATA_DIR)"
            )
        case .mnist:
            if let dir = dataDir {
                return try Self.standardFiles(in: Self.preferSubfolder(dir, "mnist"), source: "mnist (data dir \(dir))")
            }
            let dir = Self.debianFolder(package: "dataset-mnist", fallback: "/usr/share/datasets/mnist")
            guard FileManager.default.fileExists(atPath: dir) else {
                throw DataError(
                    "mnist",
                    "no MNIST data found (looked for \(dir)); download the four IDX files and pass --data-dir DIR or set KD_DATA_DIR"
                )
            }
            return try Self.standardFiles(in: dir, source: "mnist")
        case .idxDirectory(let dir):
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw DataError(dir, "no such folder (expected a folder with the four MNIST-style IDX files)")
            }
            return try Self.standardFiles(in: dir, source: "idx:\(dir)")
        case .idxFiles(let a, let b, let c, let d):
            for (p, what) in [(a, "training images"), (b, "training labels"), (c, "test images"), (d, "test labels")] {
                if let p { try Self.requireFile(p, "an IDX file of \(what)") }
            }
            return .idx(trainImages: a, trainLabels: b, testImages: c, testLabels: d)
        case .csv(let train, let test):
            try Self.requireFile(train, "a CSV file of training samples")
            if let test { try Self.requireFile(test, "a CSV file of test samples") }
            return .csv(train: train, test: test)
        }
    }

    /// The standard IDX names (and the dotted variant some mirrors use), with or without .gz.
    static let standardNames: [(key: String, alternatives: [String], what: String)] = [
        ("train-images", ["train-images-idx3-ubyte", "train-images.idx3-ubyte"], "training images"),
        ("train-labels", ["train-labels-idx1-ubyte", "train-labels.idx1-ubyte"], "training labels"),
        ("t10k-images", ["t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"], "test images"),
        ("t10k-labels", ["t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"], "test labels"),
    ]

    static func standardFiles(in dir: String, source: String) throws -> Files {
        var found = [String]()
        for entry in standardNames {
            let candidates = entry.alternatives.flatMap { [$0, $0 + ".gz"] }
            guard
                let hit = candidates.map({ (dir as NSString).appendingPathComponent($0) })
                    .first(where: { FileManager.default.fileExists(atPath: $0) })
            else {
                let path = (dir as NSString).appendingPathComponent(entry.alternatives[0])
                throw DataError(path + "[.gz]", "missing (expected the IDX file of \(entry.what) for \(source))")
            }
            found.append(hit)
        }
        return .idx(trainImages: found[0], trainLabels: found[1], testImages: found[2], testLabels: found[3])
    }

    static func requireFile(_ path: String, _ what: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw DataError(path, "no such file (expected \(what))")
        }
        guard !isDir.boolValue else { throw DataError(path, "is a folder (expected \(what))") }
    }

    static func preferSubfolder(_ dir: String, _ sub: String) -> String {
        let s = (dir as NSString).appendingPathComponent(sub)
        let probe = (s as NSString).appendingPathComponent("train-labels-idx1-ubyte")
        let fm = FileManager.default
        return fm.fileExists(atPath: probe) || fm.fileExists(atPath: probe + ".gz") ? s : dir
    }

    /// The folder of a Debian data package's train-labels file, from `dpkg -L`; `fallback` when
    /// dpkg is missing or the package is not installed.
    static func debianFolder(package: String, fallback: String) -> String {
        for dpkg in ["/usr/bin/dpkg", "/bin/dpkg"] where FileManager.default.isExecutableFile(atPath: dpkg) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: dpkg)
            process.arguments = ["-L", package]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            do { try process.run() } catch { break }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { break }
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
            if let hit = lines.first(where: {
                $0.hasSuffix("/train-labels-idx1-ubyte.gz") || $0.hasSuffix("/train-labels-idx1-ubyte")
            }) {
                return (String(hit) as NSString).deletingLastPathComponent
            }
            break
        }
        return fallback
    }
}
