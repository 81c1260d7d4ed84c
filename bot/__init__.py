"""Everything that speaks Telegram: the Application, handlers, rendering, the sender."""
