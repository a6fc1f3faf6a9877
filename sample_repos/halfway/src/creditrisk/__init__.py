"""Loan default risk model for the credit team."""
