"""Canned replies: texts the content team writes once, per team and language, that advisors insert
with "/" in the console's reply box, their variables filled for the conversation at hand."""
