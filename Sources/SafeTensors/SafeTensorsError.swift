/// What is wrong with a safetensors file; `description` is one line naming the fault.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
