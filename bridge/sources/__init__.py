"""The API clients that read a source tracker (GitLab v3/v4); raw JSON stops here."""
