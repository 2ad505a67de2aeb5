"""The kinds of object scbridge moves, one module each: the only place that knows their fields."""
