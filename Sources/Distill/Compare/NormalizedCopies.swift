/// The data set of a comparison as each model takes it: the raw set normalised per model, one
/// copy per distinct normalisation, made when first asked for.
struct NormalizedCopies {
    let raw: Dataset
    private var copies: [(normalization: Normalization, dataset: Dataset)] = []

    init(raw: Dataset) { self.raw = raw }

    /// `raw` normalised as `entry` was trained (raw itself for no normalisation); a normalisation
    /// that does not fit the data is an error naming the model.
    mutating func dataset(for entry: ComparedModel) throws -> Dataset {
        guard let normalization = entry.normalization else { return raw }
        if let copy = copies.first(where: { $0.normalization == normalization }) { return copy.dataset }
        var copy = raw
        do {
            try copy.normalize(mean: normalization.mean, std: normalization.std)
        } catch {
            throw RunError("compare: model '\(entry.name)': \(error)")
        }
        copies.append((normalization, copy))
        return copy
    }
}
