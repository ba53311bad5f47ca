/// The largest values a run config (or a command-line override) may give, so that a typo such
/// as `epochs: 1000000000000` is one line at once instead of a run that never ends or a folder
/// filled with files. Generous for real work on one machine; README lists them.
public enum RunLimits {
    /// Epochs of any phase (and schedule step sizes and warm-ups, which count epochs).
    public static let epochs = 10_000
    /// Samples per batch.
    public static let batchSize = 1 << 16
    /// Born-again generations (each writes a checkpoint and trains a model).
    public static let generations = 100
    /// Teachers averaged by `distillation.teachers` (each is held in memory).
    public static let teachers = 16
    /// Pairs of `distillation.features` (each taps two layers and may train a regressor).
    public static let featurePairs = 64
    /// Views of `distillation.cache_views` (each is one teacher pass over the training set).
    public static let cacheViews = 1024
    /// Floats the teacher-output caches may hold (views x samples x classes): 16 GiB.
    public static let teacherCacheFloats = 1 << 32
    /// Zero padding of `data.augment.crop` (pixels on each side).
    public static let augmentPadding = 1024
    /// The Beta shape `alpha` of `data.augment.mixup` and `.cutmix`.
    public static let mixAlpha: Float = 1000
}
