"""Printable reports: the same Jinja2 templates rendered to HTML, to PDF (WeasyPrint,
no network) and, for the figures, to CSV for Excel."""
