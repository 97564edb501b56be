"""Reading numbers and ids from the objects of a standalone JSON instance, collecting every problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._errors import Problem


@dataclass
class FieldReader:
    """Reads fields of `kind[k]` objects of `file`; each bad value adds a Problem and yields a placeholder."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def number(self, kind: str, k: int, item: Any, key: str, default: float | None = None) -> float:
        """item[key] as a float (default when absent; None = required); 0.0 after a problem."""
        if not isinstance(item, dict):
            self.problems.append(Problem(self.file, "expected an object", f"{kind}[{k}]"))
            return 0.0
        v = item.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int | float):
            self.problems.append(
                Problem(self.file, f"expected a number, got {v!r}", f"{kind}[{k}] ({item.get('id')})", key)
            )
            return 0.0
        return float(v)

    def ident(self, kind: str, k: int, item: Any) -> str:
        """item['id'] as a string; '#k' after a problem."""
        v = item.get("id") if isinstance(item, dict) else None
        if not isinstance(v, str | int) or isinstance(v, bool):
            self.problems.append(Problem(self.file, f"expected a string id, got {v!r}", f"{kind}[{k}]", "id"))
            return f"#{k}"
        return str(v)
