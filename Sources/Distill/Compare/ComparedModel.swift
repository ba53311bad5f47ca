import NN

/// One model of a comparison: its name in the table, the model, the renormalisation that
/// turns the comparison's data into the inputs it was trained on (nil: the data as it is), and
/// the file it came from (named in messages; the name when nil).
public struct ComparedModel {
    public let name: String
    public let model: Sequential
    public let input: InputRenormalization?
    public let file: String?

    public init(name: String, model: Sequential, input: InputRenormalization? = nil, file: String? = nil) {
        self.name = name
        self.model = model
        self.input = input
        self.file = file
    }
}
