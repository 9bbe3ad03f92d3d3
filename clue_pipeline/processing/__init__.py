"""Processing: stored posts to grouped, classified, prioritised clues."""
