"""The API clients that write a target tracker (SourceCraft); raw JSON stops here."""
