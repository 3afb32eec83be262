"""Every package's models, imported so that ``Base.metadata`` describes the whole schema.

Alembic's autogenerate and the schema-agreement test compare against this metadata; a package
that adds tables adds its models module here.
"""
from __future__ import annotations

import im_server.models  # noqa: F401
import orgchart.infra.audit  # noqa: F401
import orgchart.models  # noqa: F401
from orgchart.infra.db import Base

target_metadata = Base.metadata
