"""scbridge: move milestones from GitLab (API v3) into SourceCraft, safely, unattended."""

__version__ = "0.1.0"
