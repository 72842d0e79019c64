"""Routes of the agent console beyond the chats: answering tickets."""
