/// The learning curves of one phase from metrics.jsonl: accuracy (train, validation, test),
/// loss (the training objective, its soft and hard parts where it has them, and the
/// validation and test cross-entropy) and learning rate.
struct PhaseCharts {
    let phase: String
    /// The phase's metrics lines.
    let entries: [[String: Any]]

    /// The charts as SVG elements, one per quantity that has any values.
    var svgs: [String] {
        let charts: [(title: String, yLabel: String, scale: SVGChart.Scale, fields: [(String, String)])] = [
            ("accuracy", "accuracy (%)", .percent, [("train_acc", "train"), ("val_acc", "val"), ("test_acc", "test")]),
            (
                "loss", "loss (nats per sample)", .plain,
                [
                    ("loss", "train"), ("loss_soft", "train soft"), ("loss_hard", "train hard"),
                    ("val_loss", "val CE"), ("test_loss", "test CE"),
                ]
            ),
            ("learning rate", "learning rate", .plain, [("lr", "lr")]),
        ]
        return charts.compactMap { chart in
            let series = chart.fields.compactMap { field, name -> SVGChart.Series? in
                let points = entries.compactMap { entry -> (epoch: Int, value: Double)? in
                    guard let epoch = entry["epoch"] as? Int, let value = entry[field] as? Double else { return nil }
                    return (epoch, value)
                }.sorted { $0.epoch < $1.epoch }
                return points.isEmpty ? nil : SVGChart.Series(name: name, points: points)
            }
            guard !series.isEmpty else { return nil }
            return SVGChart(
                series: series, title: "\(phase): \(chart.title)", yLabel: chart.yLabel, scale: chart.scale,
                plotWidth: 250, height: 260
            ).render()
        }
    }
}
