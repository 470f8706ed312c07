"""Pushing issues into the WeChat draft box (and, later, on a schedule)."""
