"""A check of ``wechat-pub doctor``: ok, warn or fail, with what to do. Below :mod:`wechat_pub.doctor` and
:mod:`wechat_pub.doctor_wechat`, which both make them."""

from __future__ import annotations

from dataclasses import dataclass

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True)
class Check:
    status: str  # ok, warn or fail
    name: str
    message: str
