import Foundation

/// `teacher.logits: FILE` in a run config: read, and refused where a file cannot stand for the teacher.
extension RunConfigParser {
    /// `teacher.logits: FILE` (resolved as other paths), or nil when the teacher section does
    /// not set it. The file replaces the teacher model, so the section holds nothing else.
    func parseTeacherLogits(_ v: YAMLValue) throws -> String? {
        let m = try v.mapping()
        guard let lv = m.value("logits") else { return nil }
        for key in ["model", "checkpoint", "normalize", "training"] {
            if let other = m.value(key) {
                throw other.error(
                    "'teacher.logits' replaces the teacher model: a run takes its teacher from a logits file or from a model, not both; remove '\(other.path)'"
                )
            }
        }
        try m.expect(["logits"])
        let path = resolver.resolve(try lv.string())
        try m.finish()
        return path
    }

    /// Refuses `teacher.logits` where the file cannot stand for the teacher: with augmented
    /// inputs (it holds the outputs of the clean images), with `distillation.teachers`, and in
    /// the born-again and self modes (which train their own teachers).
    func checkTeacherLogits(_ v: YAMLValue, data: DataConfig, distillation: DistillationConfig, hasStudent: Bool)
        throws
    {
        switch distillation.mode {
        case .standard: break
        case .bornAgain, .selfDistillation:
            throw v.error(
                "'teacher.logits' works with distillation.mode standard only; mode \(distillation.mode.rawValue) trains its own teachers"
            )
        }
        if !distillation.teachers.isEmpty {
            throw v.error("'teacher.logits' and 'distillation.teachers' both name the teacher; give one of them")
        }
        if let a = data.augment, a.crop != nil || a.flip != nil {
            throw v.error(
                "'teacher.logits' holds the teacher's outputs of the clean training images, but 'data.augment' changes the student's inputs every epoch; remove one of them"
            )
        }
        if !hasStudent {
            throw v.error("'teacher.logits' needs a 'student' section to distill (a logits file cannot be trained)")
        }
    }
}
