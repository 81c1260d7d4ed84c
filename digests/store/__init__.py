"""Storage: SQLAlchemy 2 typed models, the engine and session scope, and repositories.

All SQL of the project lives in this package, one module per concern.
"""
