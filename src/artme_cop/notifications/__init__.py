"""Notifications: mentions, replies and watched posts in a person's notification list, a live
unread badge, and email (immediately, a daily digest, or off)."""
