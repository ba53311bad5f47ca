import Foundation

/// A line chart of accuracy (%) against epoch, drawn as plain SVG.
struct SVGChart {
    let series: [LearningCurves.Series]
    let title: String
    let yLabel: String

    private let plotWidth = 560.0, height = 440.0
    private let left = 64.0, top = 40.0, bottom = 52.0
    /// Legend column: swatch, then the longest label (series name + final accuracy) at ~7 px a character.
    private var right: Double { 60 + 7 * Double(series.map { $0.name.count + 8 }.max() ?? 12) }
    private var width: Double { left + plotWidth + right }
    private static let colors = [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    ]

    func render() -> String {
        let epochs = series.flatMap { $0.points.map(\.epoch) }
        let values = series.flatMap { $0.points.map { 100 * $0.accuracy } }
        let maxEpoch = max(epochs.max() ?? 1, 2)
        let yLow = ((values.min() ?? 0) - 1).rounded(.down)
        let yHigh = min(100, ((values.max() ?? 100) + 1).rounded(.up))
        let plotHeight = height - top - bottom
        func x(_ epoch: Int) -> Double { left + plotWidth * Double(epoch - 1) / Double(maxEpoch - 1) }
        func y(_ percent: Double) -> Double { top + plotHeight * (1 - (percent - yLow) / max(yHigh - yLow, 1e-9)) }

        var out = [
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(width))" height="\#(Int(height))" font-family="sans-serif" font-size="12">"#
        ]
        out.append(#"<rect width="100%" height="100%" fill="white"/>"#)
        out.append(#"<text x="\#(left)" y="24" font-size="15" font-weight="bold">\#(escape(title))</text>"#)
        for tick in ticks(low: yLow, high: yHigh, count: 6) {
            out.append(
                #"<line x1="\#(left)" x2="\#(left + plotWidth)" y1="\#(f(y(tick)))" y2="\#(f(y(tick)))" stroke="rgb(229,229,229)"/>"#
            )
            out.append(#"<text x="\#(left - 8)" y="\#(f(y(tick) + 4))" text-anchor="end">\#(label(tick))</text>"#)
        }
        for epoch in stride(from: 1, through: maxEpoch, by: max(1, maxEpoch / 10)) {
            out.append(
                #"<text x="\#(f(x(epoch)))" y="\#(top + plotHeight + 18)" text-anchor="middle">\#(epoch)</text>"#)
        }
        out.append(
            #"<rect x="\#(left)" y="\#(top)" width="\#(plotWidth)" height="\#(plotHeight)" fill="none" stroke="rgb(68,68,68)"/>"#
        )
        out.append(#"<text x="\#(left + plotWidth / 2)" y="\#(height - 12)" text-anchor="middle">epoch</text>"#)
        out.append(
            #"<text transform="translate(18 \#(top + plotHeight / 2)) rotate(-90)" text-anchor="middle">\#(escape(yLabel))</text>"#
        )
        for (i, line) in series.enumerated() {
            let color = Self.colors[i % Self.colors.count]
            let path = line.points.map { "\(f(x($0.epoch))),\(f(y(100 * $0.accuracy)))" }.joined(separator: " ")
            out.append(#"<polyline fill="none" stroke="\#(color)" stroke-width="2" points="\#(path)"/>"#)
            for point in line.points {
                out.append(
                    #"<circle cx="\#(f(x(point.epoch)))" cy="\#(f(y(100 * point.accuracy)))" r="2.5" fill="\#(color)"/>"#
                )
            }
            let legendY = top + 10 + 20 * Double(i)
            let last = line.points.last.map { String(format: " %.2f%%", 100 * $0.accuracy) } ?? ""
            out.append(
                #"<line x1="\#(width - right + 16)" x2="\#(width - right + 40)" y1="\#(legendY)" y2="\#(legendY)" stroke="\#(color)" stroke-width="3"/>"#
            )
            out.append(#"<text x="\#(width - right + 46)" y="\#(legendY + 4)">\#(escape(line.name + last))</text>"#)
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    /// About `count` round tick values between low and high.
    private func ticks(low: Double, high: Double, count: Int) -> [Double] {
        let raw = (high - low) / Double(count)
        let magnitude = pow(10, (log10(max(raw, 1e-9))).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return stride(from: (low / step).rounded(.up) * step, through: high + 1e-9, by: step).map { $0 }
    }

    private func label(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
