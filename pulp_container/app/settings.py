"""Default settings of the container plugin; a deployment overrides them in its settings file."""
