"""The hcc-asp knowledge base (clingo programs), installed as package data."""
