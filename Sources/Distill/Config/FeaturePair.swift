/// One `distillation.features` entry: the output of student layer `student` learns from the
/// output of teacher layer `teacher` (spec indices, top level: a residual block is one layer),
/// by `loss` at `weight`. Shapes are per sample, filled in when the config is read.
public struct FeaturePair: Equatable, Sendable {
    public enum Loss: String, CaseIterable, Sendable {
        /// FitNets: MSE(regressor(f_s), f_t).
        case hint
        /// Attention transfer, p = 2.
        case attention
    }

    /// How a hint maps the student's feature onto the teacher's: a 1x1 or 3x3 convolution (stride
    /// 1, padding k/2, with bias) on [C, H, W], a linear layer on [D], or nothing (equal shapes).
    /// No batch norm and no ReLU after it (FitNets' plain regressor; mdistiller's ConvReg adds both).
    public enum Regressor: String, CaseIterable, Sendable { case conv1x1, conv3x3, linear, none }

    public var student: Int
    public var teacher: Int
    public var loss: Loss
    public var weight: Float
    public var regressor: Regressor
    /// Per-sample shapes of the two tapped outputs, e.g. [16, 14, 14].
    public var studentShape: [Int]
    public var teacherShape: [Int]

    public init(
        student: Int, teacher: Int, loss: Loss, weight: Float = 1, regressor: Regressor = .none,
        studentShape: [Int] = [], teacherShape: [Int] = []
    ) {
        self.student = student
        self.teacher = teacher
        self.loss = loss
        self.weight = weight
        self.regressor = regressor
        self.studentShape = studentShape
        self.teacherShape = teacherShape
    }

    /// "hint 3->4": the loss and the two layers, as the log names the term.
    public var name: String { "\(loss.rawValue) \(student)->\(teacher)" }

    /// The regressor's output shape for the student's, or nil when it cannot take that shape.
    func regressed(_ shape: [Int]) -> [Int]? {
        switch regressor {
        case .none: return shape
        case .linear: return shape.count == 1 && teacherShape.count == 1 ? teacherShape : nil
        case .conv1x1, .conv3x3:
            return shape.count == 3 && teacherShape.count == 3 ? [teacherShape[0], shape[1], shape[2]] : nil
        }
    }

    /// Why the two shapes cannot be compared by this pair's loss, or nil when they can.
    func shapeProblem() -> String? {
        switch loss {
        case .attention:
            guard studentShape.count == 3, teacherShape.count == 3 else {
                return "attention transfer needs [C, H, W] features on both sides"
            }
            return nil
        case .hint:
            guard let out = regressed(studentShape) else {
                return
                    "regressor \(regressor.rawValue) takes \(regressor == .linear ? "[D]" : "[C, H, W]") features on both sides"
            }
            guard out == teacherShape else {
                return regressor == .none
                    ? "a hint without a regressor needs equal shapes (give 'regressor: \(studentShape.count == 1 ? "linear" : "conv1x1")')"
                    : "regressor \(regressor.rawValue) gives \(out), the teacher's feature is \(teacherShape) (spatial sizes must agree)"
            }
            return nil
        }
    }
}
