"""The daily report page: one day's figures, and the report as CSV, XLSX or PDF."""
