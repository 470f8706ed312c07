"""A local emulator of the WeChat official-account API: the embedded default and the test double.

Its modules are imported where they are used (the web app by :mod:`.app`): a command that finds the sandbox
already running needs none of them, nor Flask.
"""


def create_sandbox_app(settings):
    from wechat_pub.sandbox.app import create_sandbox_app as create

    return create(settings)
