"""Platform sources: the validated model of ``config/platforms.yaml``."""
