"""The account's own title, author and digest limits, as ``wechat-pub doctor --limits`` measured them. Kept in
the ``shared_values`` table (key ``field_limits:<appid>``, a JSON value): every host reads the same, and no schema
change is needed."""

from __future__ import annotations

import json

from sqlalchemy import select

from wechat_pub.limits import FieldLimit, measured_from
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import shared_values


class MeasuredLimits:
    def __init__(self, db: StateDatabase, appid: str):
        self.db = db
        self.key = f"field_limits:{appid}"[:100]

    def get(self) -> dict[str, FieldLimit]:
        """The measured limits ({} before any measurement; a value that is not what we wrote counts as none)."""
        with self.db.connect() as conn:
            value = conn.execute(select(shared_values.c.value).where(shared_values.c.key == self.key)).scalar()
        try:
            data = json.loads(value) if value else {}
        except ValueError:
            return {}
        return measured_from(data.get("limits", {}) if isinstance(data, dict) else {})

    def put(self, limits: dict[str, FieldLimit], measured_at: float) -> None:
        value = json.dumps({"limits": {name: limit.as_dict() for name, limit in limits.items()},
                            "measured_at": measured_at})
        with self.db.begin() as conn:
            conn.execute(self.db.upsert(shared_values, {"key": self.key, "value": value}))
