"""The messaging core shared by every space: conversations, messages, seq, rendering."""
