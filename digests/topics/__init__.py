"""Topics and leaders: the catalog (data), the classifier, and the resolver for what users type."""
