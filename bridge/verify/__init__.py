"""`scbridge verify` (SPEC §12): the target compared with the mapped source, field by field.

- `compare`: one kind's differences, by natural key (pure);
- `run`: the reads (concurrent, no write, no lock) and the loop over kinds;
- `render`: the text, JSON, Markdown and HTML reports.
"""
