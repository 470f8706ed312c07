"""The followers' side: the webhook, the search over every issue, and the replies."""
