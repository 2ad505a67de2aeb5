"""The transport: HTTP with retries, response classification and paging; it knows no entity."""
