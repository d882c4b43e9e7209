"""The run report: a page of charts for one as-of date, built from the warehouse."""

from ladder.report.page import build_report, reports_dir

__all__ = ["build_report", "reports_dir"]
