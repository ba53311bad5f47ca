import Foundation

/// The subset of the ONNX protobuf schema kd writes, with field numbers from the ONNX
/// specification (onnx.proto, IR version 7+). Only the fields kd sets are modelled; everything
/// else stays at its default, which is what an absent field means in protobuf.
enum ONNXProto {
    /// TensorProto.DataType.FLOAT.
    static let float32: Int64 = 1

    /// ModelProto: the file's top-level message.
    struct Model {
        var irVersion: Int64
        var opsetImports: [OperatorSet]
        var producerName: String
        var docString: String
        var graph: Graph
        /// metadata_props, in order.
        var metadata: [(key: String, value: String)]

        func encode(into w: inout ProtobufWriter) {
            w.int(1, irVersion)  // ir_version
            w.string(2, producerName)  // producer_name
            w.string(6, docString)  // doc_string
            w.message(7) { graph.encode(into: &$0) }  // graph
            for opset in opsetImports {  // opset_import
                w.message(8) { opset.encode(into: &$0) }
            }
            for entry in metadata {  // metadata_props
                w.message(14) {  // StringStringEntryProto
                    $0.string(1, entry.key)  //   key
                    $0.string(2, entry.value)  //   value
                }
            }
        }

        /// The serialized model, the bytes of a .onnx file.
        func serialized() -> Data {
            var w = ProtobufWriter()
            encode(into: &w)
            return Data(w.buffer)
        }
    }

    /// OperatorSetIdProto: an operator set the graph's nodes come from ("" is ai.onnx).
    struct OperatorSet {
        var domain: String
        var version: Int64

        func encode(into w: inout ProtobufWriter) {
            w.string(1, domain)  // domain
            w.int(2, version)  // version
        }
    }

    /// GraphProto: nodes in topological order, constant tensors, and the graph's interface.
    struct Graph {
        var name: String
        var nodes: [Node]
        var initializers: [Tensor]
        var inputs: [ValueInfo]
        var outputs: [ValueInfo]
        var docString: String = ""

        func encode(into w: inout ProtobufWriter) {
            for node in nodes { w.message(1) { node.encode(into: &$0) } }  // node
            w.string(2, name)  // name
            for tensor in initializers { w.message(5) { tensor.encode(into: &$0) } }  // initializer
            if !docString.isEmpty { w.string(10, docString) }  // doc_string
            for value in inputs { w.message(11) { value.encode(into: &$0) } }  // input
            for value in outputs { w.message(12) { value.encode(into: &$0) } }  // output
        }
    }

    /// NodeProto: one operator application.
    struct Node {
        var opType: String
        var name: String
        var inputs: [String]
        var outputs: [String]
        var attributes: [Attribute] = []

        func encode(into w: inout ProtobufWriter) {
            for input in inputs { w.string(1, input) }  // input
            for output in outputs { w.string(2, output) }  // output
            w.string(3, name)  // name
            w.string(4, opType)  // op_type
            for attribute in attributes { w.message(5) { attribute.encode(into: &$0) } }  // attribute
        }
    }

    /// AttributeProto: a named float, int or list of ints.
    struct Attribute {
        enum Value {
            case float(Float)
            case int(Int64)
            case ints([Int64])
        }

        var name: String
        var value: Value

        static func float(_ name: String, _ v: Float) -> Attribute { Attribute(name: name, value: .float(v)) }
        static func int(_ name: String, _ v: Int) -> Attribute { Attribute(name: name, value: .int(Int64(v))) }
        static func ints(_ name: String, _ v: [Int]) -> Attribute {
            Attribute(name: name, value: .ints(v.map(Int64.init)))
        }

        func encode(into w: inout ProtobufWriter) {
            w.string(1, name)  // name
            switch value {  // type (AttributeType) and value
            case .float(let f):
                w.int(20, 1)  // FLOAT
                w.float(2, f)  // f
            case .int(let i):
                w.int(20, 2)  // INT
                w.int(3, i)  // i
            case .ints(let list):
                w.int(20, 7)  // INTS
                w.ints(8, list)  // ints
            }
        }
    }

    /// TensorProto: a named float32 tensor stored as raw little-endian bytes.
    struct Tensor {
        var name: String
        var dims: [Int]
        var values: [Float]

        func encode(into w: inout ProtobufWriter) {
            w.ints(1, dims.map(Int64.init))  // dims
            w.int(2, ONNXProto.float32)  // data_type
            w.string(8, name)  // name
            var raw = [UInt8]()
            raw.reserveCapacity(values.count * 4)
            for v in values {
                withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) }
            }
            w.bytes(9, raw)  // raw_data
        }
    }

    /// ValueInfoProto: a graph input or output, float32 with a shape whose dimensions are fixed
    /// sizes or named (dynamic) ones.
    struct ValueInfo {
        enum Dimension {
            case fixed(Int)
            case named(String)
        }

        var name: String
        var shape: [Dimension]

        func encode(into w: inout ProtobufWriter) {
            w.string(1, name)  // name
            w.message(2) { type in  // type: TypeProto
                type.message(1) { tensor in  //   tensor_type: TypeProto.Tensor
                    tensor.int(1, ONNXProto.float32)  //     elem_type
                    tensor.message(2) { shapeProto in  //     shape: TensorShapeProto
                        for dimension in shape {
                            shapeProto.message(1) { d in  //       dim: Dimension
                                switch dimension {
                                case .fixed(let n): d.int(1, Int64(n))  // dim_value
                                case .named(let s): d.string(2, s)  // dim_param
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
