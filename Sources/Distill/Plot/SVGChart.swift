import Foundation

/// A line chart of values against epoch, drawn as plain SVG: `kd plot`'s chart and every chart
/// of the run report (one module for both).
public struct SVGChart {
    /// One line: a name for the legend and (epoch, value) points in epoch order.
    public struct Series {
        public let name: String
        public let points: [(epoch: Int, value: Double)]

        public init(name: String, points: [(epoch: Int, value: Double)]) {
            self.name = name
            self.points = points
        }
    }

    /// How values are shown on the axis and in the legend.
    public enum Scale: Sendable {
        /// Fractions in [0, 1] drawn as percent (0 to 100).
        case percent
        /// Values as they are (losses, learning rates).
        case plain
    }

    let series: [Series]
    let title: String
    let yLabel: String
    let scale: Scale
    let plotWidth: Double
    let height: Double

    private let top = 40.0, bottom = 52.0
    /// Legend column: swatch, then the longest label (series name + final value) at ~7 px a character.
    private var right: Double { 48 + 7 * Double(series.map { $0.name.count + 9 }.max() ?? 12) }
    private static let colors = [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    ]

    /// `yLabel` names the quantity and its unit; `plotWidth` and `height` are in pixels.
    public init(
        series: [Series], title: String, yLabel: String, scale: Scale = .percent, plotWidth: Double = 560,
        height: Double = 440
    ) {
        self.series = series
        self.title = title
        self.yLabel = yLabel
        self.scale = scale
        self.plotWidth = plotWidth
        self.height = height
    }

    private func shown(_ value: Double) -> Double { scale == .percent ? 100 * value : value }

    /// The chart as one `<svg>` element (with a viewBox, so CSS may scale it).
    public func render() -> String {
        let epochs = series.flatMap { $0.points.map(\.epoch) }
        let values = series.flatMap { $0.points.map { shown($0.value) } }.filter(\.isFinite)
        let maxEpoch = max(epochs.max() ?? 1, 2)
        let (yLow, yHigh) = range(of: values)
        let plotHeight = height - top - bottom
        let yTicks = ticks(low: yLow, high: yHigh, count: 6)
        let step = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        let tickLabels = yTicks.map { label($0, step: step) }
        // Room for the axis title and the widest tick label (~7 px a character).
        let left = 36 + 7 * Double(tickLabels.map(\.count).max() ?? 3)
        let width = left + plotWidth + right
        func x(_ epoch: Int) -> Double { left + plotWidth * Double(epoch - 1) / Double(maxEpoch - 1) }
        func y(_ value: Double) -> Double { top + plotHeight * (1 - (value - yLow) / max(yHigh - yLow, 1e-12)) }

        var out = [
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(width))" height="\#(Int(height))" viewBox="0 0 \#(Int(width)) \#(Int(height))" font-family="sans-serif" font-size="12">"#
        ]
        out.append(#"<rect width="100%" height="100%" fill="white"/>"#)
        out.append(#"<text x="\#(left)" y="24" font-size="15" font-weight="bold">\#(SVGText.escape(title))</text>"#)
        for (tick, tickLabel) in zip(yTicks, tickLabels) {
            out.append(
                #"<line x1="\#(left)" x2="\#(left + plotWidth)" y1="\#(f(y(tick)))" y2="\#(f(y(tick)))" stroke="rgb(229,229,229)"/>"#
            )
            out.append(
                #"<text x="\#(left - 8)" y="\#(f(y(tick) + 4))" text-anchor="end">\#(tickLabel)</text>"#)
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
            #"<text transform="translate(18 \#(top + plotHeight / 2)) rotate(-90)" text-anchor="middle">\#(SVGText.escape(yLabel))</text>"#
        )
        for (i, line) in series.enumerated() {
            let color = Self.colors[i % Self.colors.count]
            let drawn = line.points.filter { $0.value.isFinite }
            let path = drawn.map { "\(f(x($0.epoch))),\(f(y(shown($0.value))))" }.joined(separator: " ")
            out.append(#"<polyline fill="none" stroke="\#(color)" stroke-width="2" points="\#(path)"/>"#)
            for point in drawn {
                out.append(
                    #"<circle cx="\#(f(x(point.epoch)))" cy="\#(f(y(shown(point.value))))" r="2.5" fill="\#(color)"/>"#)
            }
            let legendY = top + 10 + 20 * Double(i)
            let last = drawn.last.map { " " + legendValue($0.value) } ?? ""
            out.append(
                #"<line x1="\#(width - right + 16)" x2="\#(width - right + 40)" y1="\#(legendY)" y2="\#(legendY)" stroke="\#(color)" stroke-width="3"/>"#
            )
            out.append(
                #"<text x="\#(width - right + 46)" y="\#(legendY + 4)">\#(SVGText.escape(line.name + last))</text>"#)
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    /// The y range: whole percent around the values (capped at 100), or 5% of padding.
    private func range(of values: [Double]) -> (Double, Double) {
        let low = values.min() ?? 0
        let high = values.max() ?? 1
        switch scale {
        case .percent: return ((low - 1).rounded(.down), min(100, (high + 1).rounded(.up)))
        case .plain:
            // A flat line (a constant learning rate) gets 10% of its value either side.
            let pad = high > low ? (high - low) * 0.05 : max(abs(high) * 0.1, 1e-9)
            return (low - pad, high + pad)
        }
    }

    /// The final value in the legend: "85.00%" or four significant digits.
    private func legendValue(_ value: Double) -> String {
        scale == .percent ? String(format: "%.2f%%", 100 * value) : String(format: "%.4g", value)
    }

    /// About `count` round tick values between low and high.
    private func ticks(low: Double, high: Double, count: Int) -> [Double] {
        let raw = (high - low) / Double(count)
        let magnitude = pow(10, (log10(max(raw, 1e-12))).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return stride(from: (low / step).rounded(.up) * step, through: high + step * 1e-6, by: step).map { $0 }
    }

    /// A tick label with as many decimals as the tick step needs.
    private func label(_ value: Double, step: Double) -> String {
        let decimals = max(0, Int((-log10(max(step, 1e-12))).rounded(.up)))
        if decimals > 4 { return String(format: "%.1e", value) }
        return String(format: "%.\(decimals)f", abs(value) < step * 1e-6 ? 0 : value)
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// Escaping of text placed in SVG or HTML.
enum SVGText {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
