"""WeChat's limits on draft articles and uploads (reference/wechat-api.md §2, §3.1), in one place
so the preflight, the renderer's splitter and the sandbox all enforce the same numbers."""

TITLE_MAX_CHARS = 32
AUTHOR_MAX_CHARS = 16
DIGEST_MAX_CHARS = 128
# "必须少于2万字符，小于1M": strictly under both. Whether markup counts is undocumented, so we
# count the whole HTML (the stricter reading); an article that passes can never get 45002.
CONTENT_MAX_CHARS = 20_000
CONTENT_MAX_BYTES = 1024 * 1024
SOURCE_URL_MAX_BYTES = 1024
MAX_ARTICLES = 8
UPLOADIMG_MAX_BYTES = 1024 * 1024  # media/uploadimg: jpg/png, under 1 MB
MATERIAL_IMAGE_MAX_BYTES = 10 * 1024 * 1024  # material/add_material type=image


def content_fits(html: str, slack: int = 0) -> bool:
    """Whether an article's HTML is strictly under both limits, with ``slack`` characters to spare."""
    return len(html) + slack < CONTENT_MAX_CHARS and len(html.encode("utf-8")) + slack < CONTENT_MAX_BYTES

MAX_ISSUE_NUMBER = 999_999  # ours, not WeChat's: beyond any newsletter, within every database's integer
