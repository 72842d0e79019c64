"""The knowledge base: write path (load, embed, index) and read path (match, decide, answer)."""
