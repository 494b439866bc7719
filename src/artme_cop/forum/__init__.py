"""The consortium's discussion forum: categories and threads on top of the messaging core."""
