"""Articles as passages: which plain document answers a question (`retrieval`), and which part of
an article a reply shows first (`excerpts`)."""
