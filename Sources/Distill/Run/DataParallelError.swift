/// A run that cannot be split over the ranks of `mpirun -np N`; one line naming the key.
public enum DataParallelError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The global batch `batch_size` of `role` is not a multiple of the ranks.
    case batchNotDivisible(role: String, batchSize: Int, ranks: Int)
    /// A feature whose batch couples samples across the shards.
    case unsupported(key: String, reason: String, ranks: Int)

    public var description: String {
        switch self {
        case .batchNotDivisible(let role, let batchSize, let ranks):
            return
                "\(role).training.batch_size: \(batchSize) is the global batch and must be a multiple of the \(ranks) ranks"
        case .unsupported(let key, let reason, let ranks):
            return "\(key): \(reason), so it cannot be split over \(ranks) ranks; run it on one process"
        }
    }

    /// Throws the first reason `config` cannot run data-parallel over `ranks` ranks (none for 1).
    static func check(_ config: RunConfig, ranks: Int) throws {
        guard ranks > 1 else { return }
        for (role, section) in [("teacher", config.teacher), ("student", config.student)] {
            guard let training = section?.training else { continue }
            if training.batchSize % ranks != 0 {
                throw batchNotDivisible(role: role, batchSize: training.batchSize, ranks: ranks)
            }
        }
        if config.distillation.loss == .dist {
            throw unsupported(
                key: "distillation.loss", reason: "DIST correlates the samples of a whole batch", ranks: ranks)
        }
        if !config.distillation.features.isEmpty {
            throw unsupported(
                key: "distillation.features", reason: "feature terms are not reduced across ranks yet", ranks: ranks)
        }
        if let augment = config.data.augment, augment.mixup != nil || augment.cutmix != nil {
            throw unsupported(
                key: "data.augment", reason: "mixup and cutmix pair samples across the whole batch", ranks: ranks)
        }
    }
}
