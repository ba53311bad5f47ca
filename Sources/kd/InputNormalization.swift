import ArgumentParser
import Distill

/// The input normalisation a command gives a model: the one its checkpoint records
/// (`kd.normalize`), else the one the command line gives for a file that records none (a
/// PyTorch state_dict trained with `transforms.Normalize`), else none: pixels scaled to [0, 1],
/// what PyTorch's `ToTensor` gives.
enum InputNormalization {
    /// `mean` and `std` as a normalisation: one of each per channel, every value finite, every
    /// std > 0. `option` names the option(s) at fault in the error.
    static func checked(mean: [Float], std: [Float], option: String) throws -> Normalization {
        guard !mean.isEmpty, mean.count == std.count else {
            throw ValidationError(
                "\(option): \(mean.count) mean and \(std.count) std values; give one of each per channel")
        }
        guard mean.allSatisfy(\.isFinite), std.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ValidationError(
                "\(option): every mean must be finite and every std > 0, got mean \(mean), std \(std)")
        }
        return Normalization(mean: mean, std: std)
    }

    /// Parses `MEAN[,MEAN...]/STD[,STD...]` (one value per channel), e.g. `0.286/0.353`.
    static func parse(_ text: String, option: String) throws -> Normalization {
        /// The numbers of a comma-separated list; nil when one is not a number.
        func numbers(_ list: Substring) -> [Float]? {
            let values = list.split(separator: ",", omittingEmptySubsequences: false).map {
                Float($0.trimmingCharacters(in: .whitespaces))
            }
            return values.contains(nil) ? nil : values.compactMap { $0 }
        }
        let lists = text.split(separator: "/", omittingEmptySubsequences: false)
        guard lists.count == 2, let mean = numbers(lists[0]), let std = numbers(lists[1]) else {
            throw ValidationError("\(option) takes MEAN[,MEAN...]/STD[,STD...] (one value per channel), got '\(text)'")
        }
        return try checked(mean: mean, std: std, option: option)
    }

    /// The normalisation `model` (read from `path`) gets: `recorded` (the file's own) or `given`
    /// (by `option`), which must not both be there; `given` must have one value per input channel.
    static func resolve(
        recorded: Normalization?, given: Normalization?, model: Sequential, path: String,
        option: String
    ) throws -> Normalization? {
        guard let given else { return recorded }
        guard recorded == nil else {
            throw ValidationError("\(path) records its own input normalisation (kd.normalize); drop \(option)")
        }
        let channels = model.inputShape.count >= 3 ? model.inputShape[0] : 1
        guard given.mean.count == channels else {
            throw ValidationError(
                "\(option) gives \(given.mean.count) values per list, but the model of \(path) takes \(channels) input channel\(channels == 1 ? "" : "s")"
            )
        }
        return given
    }
}
