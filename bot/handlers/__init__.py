"""Telegram handlers, one module per area; each handler parses the update, calls a domain
function and renders the reply."""
