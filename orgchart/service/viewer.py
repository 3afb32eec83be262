"""The authenticated caller: who they are and what their role lets them see and do."""
from __future__ import annotations

from dataclasses import dataclass

from orgchart.errors import PermissionDenied

ROLES = ("official", "enterprise", "bot", "admin")


@dataclass(frozen=True)
class Viewer:
    person_id: int
    name: str
    role: str
    #: The token this request came with (so logout can revoke exactly it).
    token_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def enterprise_view(self) -> bool:
        """External users see only posts that serve enterprises and the people holding them."""
        return self.role == "enterprise"

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("只有管理员可以执行此操作")

    def require_official(self) -> None:
        """Internal information (member lists, people) is not for external users."""
        if self.enterprise_view:
            raise PermissionDenied("企业用户无权查看此信息")
