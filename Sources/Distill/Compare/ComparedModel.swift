import NN

/// One model of a comparison: its row name, the model, and the input normalisation it was
/// trained with.
public struct ComparedModel {
    public let name: String
    public let model: Sequential
    /// Applied to the comparison's data set before this model sees it; nil: the data as given
    /// (pixels scaled to [0, 1] for a raw test set).
    public let normalization: Normalization?

    public init(name: String, model: Sequential, normalization: Normalization? = nil) {
        self.name = name
        self.model = model
        self.normalization = normalization
    }
}
