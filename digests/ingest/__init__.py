"""Ingestion: fetch sources politely, parse feeds, pages and seed dumps, store new articles."""
