import NN

/// One model of a comparison: its name in the table, the model, and the renormalisation that
/// turns the comparison's data into the inputs it was trained on (nil: the data as it is).
public struct ComparedModel {
    public let name: String
    public let model: Sequential
    public let input: InputRenormalization?

    public init(name: String, model: Sequential, input: InputRenormalization? = nil) {
        self.name = name
        self.model = model
        self.input = input
    }
}
