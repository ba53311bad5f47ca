import Foundation

/// Options for CSV data files (one sample per row: a label column and feature columns).
public struct CSVOptions: Equatable, Codable, Sendable {
    /// Whether the first row is a header.
    public enum Header: String, Equatable, Codable, Sendable {
        /// A header when the first row has a non-numeric cell.
        case auto
        /// The first row is always a header.
        case present
        /// Every row is data.
        case absent
    }

    /// Index of the label column (0-based; default 0).
    public var labelColumn: Int
    /// Whether the first row is a header (default `auto`).
    public var header: Header
    /// Every feature is divided by this (default 255, for pixel CSVs such as Kaggle's
    /// fashion-mnist_train.csv; use 1 for features that are already scaled).
    public var scale: Float
    /// Per-sample shape; nil: [1, s, s] when the feature count is a perfect square s*s, else [features].
    public var shape: [Int]?

    /// Options with the defaults above unless given.
    public init(labelColumn: Int = 0, header: Header = .auto, scale: Float = 255, shape: [Int]? = nil) {
        self.labelColumn = labelColumn
        self.header = header
        self.scale = scale
        self.shape = shape
    }
}
