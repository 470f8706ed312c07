"""Safe mode's AES envelope (reference/webhook.md §1.2): AES-256-CBC with the key from the EncodingAESKey and
its first 16 bytes as IV; the plaintext is 16 random bytes, the message's length (4 bytes, big-endian), the
message and the app id, PKCS#7-padded to a multiple of 32.

Built on ``cryptography``'s primitives with one cipher per account and process: WeChat fixes the IV, so
the same :class:`Cipher` serves every message (each call takes its own encryptor or decryptor, which is
what makes it safe across threads), instead of a new cipher object and key schedule per message.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16


class CryptoError(Exception):
    """What cannot be decrypted, or was encrypted for another app id."""


class MessageCipher:
    def __init__(self, aes_key: str, appid: str):
        try:
            key = base64.b64decode(aes_key + "=", validate=True)
        except binascii.Error:
            key = b""
        if len(aes_key) != 43 or len(key) != 32:
            raise ValueError("the EncodingAESKey must be 43 base64 characters")
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))
        self.appid = appid.encode("utf-8")

    def decrypt(self, encrypted: str | bytes) -> bytes:
        """The message inside an ``Encrypt`` text; CryptoError when it is not one, or not for this app id."""
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("not base64") from None
        if not data or len(data) % 16:
            raise CryptoError("not whole AES blocks")
        decryptor = self._cipher.decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or len(plain) < 20 + pad:
            raise CryptoError("bad padding")
        plain = plain[:-pad]
        length = int.from_bytes(plain[16:20], "big")
        message, appid = plain[20:20 + length], plain[20 + length:]
        if len(message) != length:
            raise CryptoError("bad length")
        if appid != self.appid:
            raise CryptoError("for another app id")
        return message

    def encrypt(self, message: bytes, prefix: bytes | None = None) -> str:
        """The ``Encrypt`` text for ``message`` (``prefix``: the 16 random bytes, fixed only in tests)."""
        prefix = prefix if prefix is not None else secrets.token_urlsafe(12).encode("ascii")  # 16 characters
        body = prefix + len(message).to_bytes(4, "big") + message + self.appid
        pad = BLOCK - len(body) % BLOCK
        body += bytes((pad,)) * pad
        encryptor = self._cipher.encryptor()
        return base64.b64encode(encryptor.update(body) + encryptor.finalize()).decode("ascii")
