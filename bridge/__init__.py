"""scbridge: move milestones from GitLab (API v3) into SourceCraft, safely enough to run unattended."""

__version__ = "0.1.0"
