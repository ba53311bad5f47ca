/// The names of a data set's classes, as the report labels them.
enum ClassNames {
    /// Fashion-MNIST's ten classes, in label order (Xiao et al. 2017).
    static let fashionMNIST = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// `count` names: the config's `data.classes` when it has `count` of them, Fashion-MNIST's
    /// for that source, else the indices "0", "1", ...
    static func names(count: Int, configured: [String]?, source: String?) -> [String] {
        if let configured, configured.count == count { return configured }
        if source == "fashion-mnist", count == fashionMNIST.count { return fashionMNIST }
        return (0..<count).map(String.init)
    }
}
