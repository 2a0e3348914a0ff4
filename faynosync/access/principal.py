"""Who is calling: an admin, a team user acting for its admin, or an admin's API token, and
what it may act on."""

from __future__ import annotations

from dataclasses import dataclass

from faynosync.access.permissions import Resource, allowed_ids
from faynosync.store.models import Admin, ApiToken, TeamUser


@dataclass(frozen=True)
class Principal:
    """Who is calling: an admin, a team user acting for its admin (``owner``), or an API token
    of that admin (``token``)."""

    username: str
    owner: str
    admin: Admin | None = None
    team_user: TeamUser | None = None
    token: ApiToken | None = None

    @property
    def is_admin(self) -> bool:
        return self.admin is not None

    def allowed(self, resource: Resource) -> list[str] | None:
        """The ids of ``resource`` the caller may act on; None for all of the tenant's.

        A team user has its allowed lists; an API token its apps (docs/compatibility.md:
        other apps are absent to it, and its admin's team users are never shown to it).
        """
        if self.team_user is not None:
            return allowed_ids(self.team_user.permissions, resource)
        if self.token is not None and resource is Resource.APPS:
            return self.token.allowed_apps
        return None

    def may_use(self, resource: Resource, meta_id: str) -> bool:
        allowed = self.allowed(resource)
        return allowed is None or meta_id in allowed
