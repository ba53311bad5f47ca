/// A plain HTML table: a header row and rows of cells (already escaped HTML); every column but
/// the first is right-aligned (numbers).
struct HTMLTable {
    let header: [String]
    let rows: [[String]]

    var html: String {
        var out = [
            #"<table class="numbers"><thead><tr>"# + header.map { "<th>\($0)</th>" }.joined() + "</tr></thead><tbody>"
        ]
        for row in rows { out.append("<tr>" + row.map { "<td>\($0)</td>" }.joined() + "</tr>") }
        out.append("</tbody></table>")
        return out.joined(separator: "\n")
    }
}

/// How the report writes numbers (as `kd compare` does).
enum ReportNumber {
    static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        return String(format: "%.2f%%", 100 * value)
    }

    /// A difference in percentage points with its sign: "+1.25 pp".
    static func points(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        return String(format: "%+.2f pp", 100 * value)
    }

    static func fixed(_ value: Double?, _ decimals: Int) -> String {
        guard let value, value.isFinite else { return "-" }
        return String(format: "%.\(decimals)f", value)
    }
}
