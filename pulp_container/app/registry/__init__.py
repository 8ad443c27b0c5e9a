"""The server side of the distribution spec on the content app: one module per resource."""
