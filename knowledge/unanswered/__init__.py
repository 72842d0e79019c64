"""Questions the bot could not answer: recorded, clustered, turned into article drafts."""
