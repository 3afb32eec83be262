"""Route table of the directory API under ``/api/v1/`` (documented in ``openapi.json``).

Views are thin: they read parameters, call a service (:mod:`orgchart.service`) and write
JSON. Errors are exceptions from :mod:`orgchart.errors`, turned into
``{"error": {"code", "message"}}`` by the ``json_errors`` middleware.
"""
from __future__ import annotations

from aiohttp import web

from orgchart.http import (
    views_activation,
    views_admin,
    views_aliases,
    views_auth,
    views_docs,
    views_enterprises,
    views_posts,
    views_search,
    views_units,
)
from orgchart.http.keys import COUNTS_CACHE, OPENAPI_PARTS
from orgchart.service.counts_cache import SubtreeCountsCache

PREFIX = "/api/v1"


def setup(app: web.Application) -> None:
    """Add the directory's routes (and the state they share) to ``app``."""
    app[COUNTS_CACHE] = SubtreeCountsCache()
    app.setdefault(OPENAPI_PARTS, [])  # other packages add their OpenAPI files
    app.router.add_routes([
        web.get(f"{PREFIX}/openapi.json", views_docs.openapi_view()),
        # accounts
        web.post(f"{PREFIX}/login", views_auth.login),
        web.post(f"{PREFIX}/logout", views_auth.logout),
        web.get(f"{PREFIX}/me", views_auth.me),
        web.get(PREFIX + r"/people/{id:\d+}", views_posts.person),
        web.post(PREFIX + r"/people/{id:\d+}/activate", views_auth.activate),
        web.post(PREFIX + r"/people/{id:\d+}/revoke-tokens", views_auth.revoke_tokens),
        web.post(f"{PREFIX}/activation-codes", views_activation.issue_codes),
        web.post(f"{PREFIX}/activate", views_activation.activate_with_code),
        # browsing
        web.get(f"{PREFIX}/units", views_units.roots),
        web.get(f"{PREFIX}/units/{{code}}", views_units.unit),
        web.get(f"{PREFIX}/units/{{code}}/children", views_units.children),
        web.get(f"{PREFIX}/units/{{code}}/departments", views_units.departments),
        web.get(f"{PREFIX}/units/{{code}}/posts", views_units.unit_posts),
        web.get(f"{PREFIX}/departments/{{code}}", views_units.department),
        web.get(f"{PREFIX}/departments/{{code}}/posts", views_units.department_posts),
        # posts and who holds them
        web.get(f"{PREFIX}/posts/{{code}}", views_posts.post),
        web.get(f"{PREFIX}/posts/{{code}}/holders", views_posts.holders),
        web.get(f"{PREFIX}/posts/{{code}}/history", views_posts.history),
        # search and selectors
        web.get(f"{PREFIX}/search", views_search.search),
        web.get(f"{PREFIX}/resolve", views_search.resolve),
        # enterprises and virtual organisations
        web.get(f"{PREFIX}/enterprises", views_enterprises.enterprises),
        web.get(f"{PREFIX}/enterprises/{{credit_code}}", views_enterprises.enterprise),
        web.get(f"{PREFIX}/virtual-orgs", views_enterprises.virtual_orgs),
        web.get(f"{PREFIX}/virtual-orgs/{{code}}", views_enterprises.virtual_org),
        web.get(f"{PREFIX}/virtual-orgs/{{code}}/members", views_enterprises.virtual_org_members),
        # changing the directory (admins)
        web.post(f"{PREFIX}/import", views_admin.import_directory),
        web.patch(f"{PREFIX}/posts/{{code}}", views_admin.update_post),
        web.post(f"{PREFIX}/posts/{{code}}/holdings", views_admin.start_holding),
        web.post(PREFIX + r"/holdings/{id:\d+}/end", views_admin.end_holding),
    ])
    views_aliases.setup(app, PREFIX)
