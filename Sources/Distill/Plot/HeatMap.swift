/// A confusion matrix as an SVG heat map: rows are the true class, columns the prediction,
/// each cell shaded by its share of the row and labelled with its count.
struct HeatMap {
    let title: String
    /// counts[label][predicted].
    let counts: [[Int]]
    /// One per class (shortened to 12 characters on the axes).
    let classNames: [String]

    private let cell = 34.0, left = 96.0, top = 40.0, bottom = 92.0

    func render() -> String {
        let k = counts.count
        let width = left + cell * Double(k) + 16
        let height = top + cell * Double(k) + bottom
        var out = [
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(width))" height="\#(Int(height))" viewBox="0 0 \#(Int(width)) \#(Int(height))" font-family="sans-serif" font-size="11">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
            #"<text x="8" y="22" font-size="14" font-weight="bold">\#(SVGText.escape(title))</text>"#,
        ]
        for (row, values) in counts.enumerated() {
            let total = max(values.reduce(0, +), 1)
            let y = top + cell * Double(row)
            out.append(
                #"<text x="\#(left - 6)" y="\#(y + cell / 2 + 4)" text-anchor="end">\#(name(row))</text>"#)
            for (column, count) in values.enumerated() {
                let share = Double(count) / Double(total)
                let x = left + cell * Double(column)
                // White to a deep blue (rgb 8,48,107) by the cell's share of its row.
                let color = [255 - 247 * share, 255 - 207 * share, 255 - 148 * share].map { String(Int($0)) }
                out.append(
                    #"<rect x="\#(x)" y="\#(y)" width="\#(cell)" height="\#(cell)" fill="rgb(\#(color.joined(separator: ",")))" stroke="rgb(220,220,220)"><title>\#(name(row)) as \#(name(column)): \#(count)</title></rect>"#
                )
                if count > 0 {
                    out.append(
                        #"<text x="\#(x + cell / 2)" y="\#(y + cell / 2 + 4)" text-anchor="middle" fill="\#(share > 0.5 ? "white" : "black")">\#(count)</text>"#
                    )
                }
            }
        }
        let axisY = top + cell * Double(k) + 6
        for column in 0..<k {
            let x = left + cell * Double(column) + cell / 2 + 4
            out.append(
                #"<text transform="translate(\#(x) \#(axisY)) rotate(-60)" text-anchor="end">\#(name(column))</text>"#)
        }
        out.append(
            #"<text x="\#(left + cell * Double(k) / 2)" y="\#(height - 6)" text-anchor="middle">predicted class (rows: true class)</text>"#
        )
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    private func name(_ index: Int) -> String {
        let text = index < classNames.count ? classNames[index] : String(index)
        return SVGText.escape(text.count > 12 ? String(text.prefix(11)) + "…" : text)
    }
}
