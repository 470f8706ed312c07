"""A local emulator of the WeChat official-account API: the embedded default and the test double."""

from wechat_pub.sandbox.app import create_sandbox_app
from wechat_pub.sandbox.state import SandboxSettings

__all__ = ["create_sandbox_app", "SandboxSettings"]
