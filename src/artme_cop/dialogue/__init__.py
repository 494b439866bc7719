"""Chats for Change: scheduled, facilitated live dialogue rooms on the messaging core (#5)."""
