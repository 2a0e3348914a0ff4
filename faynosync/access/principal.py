"""Who is calling: an admin, or a team user acting for its admin, and what it may act on."""

from __future__ import annotations

from dataclasses import dataclass

from faynosync.access.permissions import Resource, allowed_ids
from faynosync.store.models import Admin, TeamUser


@dataclass(frozen=True)
class Principal:
    """Who is calling: an admin, or a team user acting for its admin (``owner``)."""

    username: str
    owner: str
    admin: Admin | None = None
    team_user: TeamUser | None = None

    @property
    def is_admin(self) -> bool:
        return self.admin is not None

    def may_use(self, resource: Resource, meta_id: str) -> bool:
        """An admin may act on all of its tenant; a team user on what its allowed lists hold."""
        user = self.team_user
        return user is None or meta_id in allowed_ids(user.permissions, resource)
