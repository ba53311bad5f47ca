/// The report's tables from summary.json: the comparison (every field `kd compare` prints, and
/// each model's differences from the teacher), per-class accuracy, and the classes the student
/// gained or lost most against its baseline.
struct ComparisonSection {
    let run: RunRecord

    private var models: [[String: Any]] { run.models }
    /// The reference row: the teacher (the first model), unless the teacher was a logits file.
    private var teacher: [String: Any]? { run.summary?["teacher_logits"] == nil ? models.first : nil }

    /// The comparison table, with the born-again ensemble as a last row.
    var comparisonTable: String {
        let header = Comparison.columns + ["Δ accuracy", "params ×", "ms@1 ×"]
        var rows = models.enumerated().map { index, model -> [String] in
            let reference = teacher != nil && index == 0
            let params = model["parameters"] as? Int
            let latency = model["latency_ms_batch1"] as? Double
            return [
                SVGText.escape(model["name"] as? String ?? "?"), params.map(String.init) ?? "-",
                (model["bytes"] as? Int).map(ByteCount.format) ?? "-",
                ReportNumber.fixed(model["mflops_per_sample"] as? Double, 3),
                ReportNumber.percent(model["accuracy"] as? Double),
                ReportNumber.percent(model["agreement_with_teacher"] as? Double),
                ReportNumber.fixed(model["kl_from_teacher"] as? Double, 4),
                ReportNumber.fixed(model["ece"] as? Double, 4), ReportNumber.fixed(latency, 3),
                ReportNumber.fixed(model["latency_ms_per_sample_batch256"] as? Double, 4),
            ]
                + (reference
                    ? ["reference", "1x", "1x"]
                    : [
                        ReportNumber.points(difference("accuracy", model)),
                        ratio(Double(params ?? 0), (teacher?["parameters"] as? Int).map(Double.init)),
                        ratio(latency ?? 0, teacher?["latency_ms_batch1"] as? Double),
                    ])
        }
        if let ensemble = run.summary?["ensemble"] as? [String: Any] {
            let members = (ensemble["members"] as? [String] ?? []).joined(separator: ", ")
            let accuracy = ensemble["accuracy"] as? Double
            var row =
                [#"<abbr title="mean softmax of \#(SVGText.escape(members))">ensemble</abbr>"#]
                + Array(repeating: "", count: 12)
            row[4] = ReportNumber.percent(accuracy)
            row[10] = ReportNumber.points(accuracy.flatMap { a in (teacher?["accuracy"] as? Double).map { a - $0 } })
            rows.append(row)
        }
        return HTMLTable(header: header, rows: rows).html
    }

    /// The note under the table, as `kd compare` ends its table.
    var note: String {
        let samples = run.summary?["samples"] as? Int ?? 0
        let data = SVGText.escape(run.summary?["data"] as? String ?? "?")
        let reference =
            (run.summary?["teacher_logits"] as? String).map {
                "the teacher is a logits file (\(SVGText.escape($0))): no teacher row, agree and KL not measured"
            }
            ?? "agree, KL and the last three columns (accuracy difference in percentage points, parameter and batch-1 latency ratios) are against \(SVGText.escape(teacher?["name"] as? String ?? "the teacher"))"
        let broken = models.compactMap { model -> String? in
            guard let count = model["non_finite_outputs"] as? Int, count > 0 else { return nil }
            return
                "; \(SVGText.escape(model["name"] as? String ?? "?")): \(count) samples had NaN or infinite outputs (counted as wrong)"
        }
        let ensemble = ((run.summary?["ensemble"] as? [String: Any])?["members"] as? [String]).map {
            "; ensemble: the mean softmax of \(SVGText.escape($0.joined(separator: ", ")))"
        }
        return "\(samples) test samples of \(data); \(reference)" + (ensemble ?? "") + broken.joined()
    }

    /// `model[key]` minus the teacher's (nil without a teacher row or the value).
    private func difference(_ key: String, _ model: [String: Any]) -> Double? {
        guard let value = model[key] as? Double, let reference = teacher?[key] as? Double else { return nil }
        return value - reference
    }

    private func ratio(_ value: Double, _ reference: Double?) -> String {
        guard let reference, reference > 0, value > 0 else { return "-" }
        return String(format: "%.3gx", value / reference)
    }

    /// Per-class test accuracy of every model side by side (nil: summary.json has none, as
    /// runs before the report did not save it).
    var perClassTable: String? {
        let perClass = models.compactMap { $0["per_class_accuracy"] as? [Any] }
        guard perClass.count == models.count, let count = perClass.first?.count, count > 0 else { return nil }
        let names = run.classNames(count: count)
        let header = ["class"] + models.map { SVGText.escape($0["name"] as? String ?? "?") }
        let rows = names.enumerated().map { c, name in
            [SVGText.escape(name)] + perClass.map { ReportNumber.percent(c < $0.count ? $0[c] as? Double : nil) }
        }
        return HTMLTable(header: header, rows: rows).html
    }

    /// Each model's confusion matrix by name (models without one are left out).
    var confusions: [(name: String, counts: [[Int]])] {
        models.compactMap { model in
            guard let name = model["name"] as? String, let rows = model["confusion"] as? [[Int]] else { return nil }
            return (name, rows)
        }
    }

    /// The distilled model set against the baseline: "student", else the last generation or "self".
    var distilledName: String? {
        let names = models.compactMap { $0["name"] as? String }
        return names.contains("student")
            ? "student" : names.last { ($0.hasPrefix("generation-") && $0 != "generation-0") || $0 == "self" }
    }

    /// The classes where the distilled model gained and lost most against the baseline (three
    /// each, by per-class accuracy), or nil without both rows.
    var gainedAndLost: String? {
        func perClass(_ name: String) -> [Double?]? {
            (models.first { $0["name"] as? String == name }?["per_class_accuracy"] as? [Any])?.map { $0 as? Double }
        }
        guard let name = distilledName, let distilled = perClass(name), let baseline = perClass("baseline") else {
            return nil
        }
        let names = run.classNames(count: distilled.count)
        let deltas = zip(distilled, baseline).enumerated().compactMap { c, pair -> (Int, Double)? in
            guard let a = pair.0, let b = pair.1 else { return nil }
            return (c, a - b)
        }.sorted { $0.1 > $1.1 }
        func rows(_ picked: [(Int, Double)]) -> [[String]] {
            picked.map { c, delta in
                [
                    SVGText.escape(names[c]), ReportNumber.percent(distilled[c]), ReportNumber.percent(baseline[c]),
                    ReportNumber.points(delta),
                ]
            }
        }
        let header = ["class", SVGText.escape(name), "baseline", "difference"]
        let gained = Array(deltas.prefix(3).filter { $0.1 > 0 })
        let lost = Array(deltas.reversed().prefix(3).filter { $0.1 < 0 })
        return #"<div class="row"><div><h4>gained most</h4>"#
            + (gained.isEmpty ? "<p>no class gained</p>" : HTMLTable(header: header, rows: rows(gained)).html)
            + "</div><div><h4>lost most</h4>"
            + (lost.isEmpty ? "<p>no class lost</p>" : HTMLTable(header: header, rows: rows(lost)).html)
            + "</div></div>"
    }
}
