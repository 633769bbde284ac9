"""hcc-asp: guideline knowledge base for systemic therapy of advanced HCC, in ASP (clingo)."""

__version__ = "0.1.0"
