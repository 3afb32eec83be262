"""Bots: the bot SDK, DingTalk-compatible robot APIs and the government bots."""
