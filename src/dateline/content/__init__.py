"""Reading sources: files → parsed records (dates, datelines, front matter, digests)."""
