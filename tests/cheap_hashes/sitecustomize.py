"""Cheap password hashes in every Python process the tests start (conftest puts this folder on PYTHONPATH).

The console hashes each password with argon2 at its real cost (about 0.16 s of CPU, on purpose), and the
tests make users and sign in hundreds of times, in this process and in the `wechat-pub run` processes they
start: a third of the suite's CPU went there. The tests prove who may open what, not the hash's strength, so
here argon2's defaults are its cheapest parameters. The product is untouched: only these processes see it."""

from __future__ import annotations


def use_cheap_password_hashes() -> None:
    from argon2 import PasswordHasher

    defaults = list(PasswordHasher.__init__.__defaults__)
    defaults[:3] = [1, 8, 1]  # time_cost, memory_cost (KiB), parallelism
    PasswordHasher.__init__.__defaults__ = tuple(defaults)


use_cheap_password_hashes()
