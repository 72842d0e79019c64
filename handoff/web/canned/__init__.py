"""Routes of the canned replies: editors manage them, advisors find and fill them."""
