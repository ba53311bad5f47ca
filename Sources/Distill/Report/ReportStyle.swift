/// The report's stylesheet: readable at a laptop's width, scaled charts, and print rules (no
/// chart or table split across pages, no shaded backgrounds lost).
enum ReportStyle {
    static let css = """
        :root { color-scheme: light; }
        body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
          color: #1b1b1b; background: #fff; margin: 0 auto; padding: 24px 32px 48px; max-width: 1240px; }
        h1 { font-size: 26px; margin: 0 0 4px; }
        h2 { font-size: 21px; margin: 36px 0 10px; border-bottom: 2px solid #1f77b4; padding-bottom: 4px; }
        h3 { font-size: 17px; margin: 22px 0 8px; }
        h4 { font-size: 15px; margin: 14px 0 6px; }
        .run { margin-top: 40px; }
        .meta { color: #555; margin: 0 0 8px; }
        .status { display: inline-block; padding: 2px 10px; border-radius: 10px; font-size: 13px; font-weight: 600; }
        .status.finished { background: #e3f4e1; color: #1e6b1a; }
        .status.incomplete { background: #fdecc8; color: #8a5300; }
        .problems { background: #fff7e6; border-left: 4px solid #e09b00; padding: 8px 14px 8px 30px; margin: 10px 0; }
        table { border-collapse: collapse; font-size: 14px; margin: 6px 0 10px; font-variant-numeric: tabular-nums; }
        th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; white-space: nowrap; }
        th { background: #f3f5f8; text-align: left; font-weight: 600; }
        table.numbers td:not(:first-child), table.numbers th:not(:first-child) { text-align: right; }
        .scroll { overflow-x: auto; }
        .note { color: #555; font-size: 13px; margin: 0 0 8px; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 12px; }
        .charts.wide { grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); }
        .row { display: flex; flex-wrap: wrap; gap: 8px 40px; align-items: flex-start; }
        figure { margin: 0; }
        svg { max-width: 100%; height: auto; display: block; }
        pre { background: #f6f8fa; padding: 10px 14px; font-size: 12.5px; overflow-x: auto; max-height: 480px; }
        @media print {
          body { padding: 0; max-width: none; font-size: 11pt; }
          @page { margin: 14mm; }
          h2 { break-after: avoid; }
          figure, table, .problems { break-inside: avoid; }
          pre { max-height: none; overflow: visible; white-space: pre-wrap; }
          .scroll { overflow: visible; }
          * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        }
        """
}
