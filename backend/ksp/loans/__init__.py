"""Loans: products, schedules, assessment, approval, agreement, repayment, quality."""
