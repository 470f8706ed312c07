"""What wechat-pub remembers, split by job: the database and its schema, the access token, leases, the upload
cache, scheduled runs, the push ledger, the webhook's answers and the query log (Redis twins beside their SQL
ones). :mod:`wechat_pub.site` builds them from the config; nothing else does."""
