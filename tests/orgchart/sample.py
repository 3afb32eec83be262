"""A small directory in the JSON Lines record shape, shared by tests: 衢州市 with two counties.

Holders: 13800000001 is 柯城区税务局局长 now; 13800000002 held it until 2024-03-01.
The 柯城区税务局 owns a virtual organisation of three enterprises, one in a nested sub-group.
"""
from __future__ import annotations

from sqlalchemy import func, select

from orgchart import models as m
from orgchart.codes import make_credit_code

PROVINCE, CITY = "330000000000", "330800000000"
KECHENG, QUJIANG = "330802000000", "330803000000"
TOWN, VILLAGE_A, VILLAGE_B = "330802001000", "330802001001", "330802001002"
TAX_KC = "330802000000-SWJ"
ENTERPRISE_A = make_credit_code("330802", 1)
ENTERPRISE_B = make_credit_code("330802", 2)
ENTERPRISE_C = make_credit_code("330803", 3)


def sample_records() -> list[dict]:
    units = [
        {"kind": "unit", "code": PROVINCE, "name": "浙江省"},
        {"kind": "unit", "code": CITY, "name": "衢州市"},
        {"kind": "unit", "code": KECHENG, "name": "柯城区"},
        {"kind": "unit", "code": QUJIANG, "name": "衢江区"},
        {"kind": "unit", "code": TOWN, "name": "信安街道"},
        {"kind": "unit", "code": VILLAGE_A, "name": "府山村"},
        {"kind": "unit", "code": VILLAGE_B, "name": "双港社区"},
    ]
    departments = [
        {"kind": "department", "code": TAX_KC, "name": "柯城区税务局", "type": "税务局", "unit": KECHENG},
        {"kind": "department", "code": TAX_KC + "-ZG", "name": "征管科", "type": "税务局",
         "unit": KECHENG, "parent": TAX_KC},
        {"kind": "department", "code": QUJIANG + "-SWJ", "name": "衢江区税务局", "type": "税务局",
         "unit": QUJIANG},
        {"kind": "department", "code": CITY + "-JXJ", "name": "衢州市经信局", "type": "经信局", "unit": CITY},
    ]
    posts = [
        {"kind": "post", "code": TAX_KC + "-JZ", "title": "局长", "unit": KECHENG,
         "department": TAX_KC, "serves_enterprises": True},
        {"kind": "post", "code": TAX_KC + "-ZGY", "title": "税务专管员", "unit": KECHENG,
         "department": TAX_KC + "-ZG", "duties": ["税务专管员"], "supervisor": TAX_KC + "-JZ",
         "serves_enterprises": True},
        {"kind": "post", "code": QUJIANG + "-SWJ-JZ", "title": "局长", "unit": QUJIANG,
         "department": QUJIANG + "-SWJ", "serves_enterprises": True},
        {"kind": "post", "code": CITY + "-JXJ-JZ", "title": "局长", "unit": CITY,
         "department": CITY + "-JXJ"},
        {"kind": "post", "code": TOWN + "-SJ", "title": "党工委书记", "unit": TOWN, "duties": ["河长"]},
        {"kind": "post", "code": VILLAGE_A + "-SJ", "title": "村党支部书记", "unit": VILLAGE_A,
         "duties": ["村党支部书记", "河长"], "supervisor": TOWN + "-SJ"},
        {"kind": "post", "code": VILLAGE_B + "-SJ", "title": "社区党支部书记", "unit": VILLAGE_B,
         "duties": ["村党支部书记"], "supervisor": TOWN + "-SJ"},
        {"kind": "post", "code": VILLAGE_A + "-WGY", "title": "网格员", "unit": VILLAGE_A,
         "duties": ["网格员"]},
    ]
    people = [
        {"kind": "person", "mobile": "13800000001", "name": "张三"},
        {"kind": "person", "mobile": "13800000002", "name": "李四"},
        {"kind": "person", "mobile": "13800000003", "name": "王五"},
        {"kind": "person", "mobile": "13800000004", "name": "赵六"},
        {"kind": "person", "mobile": "13800000005", "name": "钱七"},
        {"kind": "person", "mobile": "13800000006", "name": "孙八", "role": "enterprise"},
        {"kind": "person", "mobile": "13900000000", "name": "管理员", "role": "admin"},
    ]
    holdings = [
        {"kind": "holding", "post": TAX_KC + "-JZ", "mobile": "13800000002", "start": "2019-01-01",
         "end": "2024-03-01"},
        {"kind": "holding", "post": TAX_KC + "-JZ", "mobile": "13800000001", "start": "2024-03-01"},
        {"kind": "holding", "post": TAX_KC + "-ZGY", "mobile": "13800000003", "start": "2022-05-01"},
        {"kind": "holding", "post": VILLAGE_A + "-SJ", "mobile": "13800000004", "start": "2021-01-01"},
        {"kind": "holding", "post": VILLAGE_A + "-WGY", "mobile": "13800000005", "start": "2023-01-01"},
        {"kind": "holding", "post": TOWN + "-SJ", "mobile": "13800000002", "start": "2024-03-01"},
    ]
    enterprises = [
        {"kind": "enterprise", "credit_code": ENTERPRISE_A, "name": "衢州元立金属制品有限公司",
         "industry": "制造业", "scale": "large", "registered_capital": "500000000", "region": KECHENG,
         "tags": ["规上工业", "高新技术企业"]},
        {"kind": "enterprise", "credit_code": ENTERPRISE_B, "name": "柯城小微商贸有限公司",
         "industry": "批发和零售业", "scale": "micro", "registered_capital": 1000000, "region": TOWN},
        {"kind": "enterprise", "credit_code": ENTERPRISE_C, "name": "衢江绿色农业合作社",
         "industry": "农业", "scale": "small", "region": QUJIANG},
    ]
    members = [
        {"kind": "enterprise_member", "credit_code": ENTERPRISE_A, "mobile": "13800000006",
         "role": "tax_contact"},
    ]
    virtual = [
        {"kind": "virtual_org", "code": "KC-TAXPAYERS", "name": "柯城区税务局纳税人", "owner": TAX_KC},
        {"kind": "virtual_group", "code": "KC-ALL", "name": "全部纳税人", "virtual_org": "KC-TAXPAYERS"},
        {"kind": "virtual_group", "code": "KC-KEY", "name": "重点税源企业", "virtual_org": "KC-TAXPAYERS",
         "parent": "KC-ALL"},
        {"kind": "virtual_group", "code": "KC-TOP", "name": "千户集团", "virtual_org": "KC-TAXPAYERS",
         "parent": "KC-KEY"},
        {"kind": "virtual_member", "virtual_org": "KC-TAXPAYERS", "credit_code": ENTERPRISE_A,
         "group": "KC-TOP", "officer": TAX_KC + "-ZGY"},
        {"kind": "virtual_member", "virtual_org": "KC-TAXPAYERS", "credit_code": ENTERPRISE_B,
         "group": "KC-ALL", "officer": TAX_KC + "-ZGY"},
        {"kind": "virtual_member", "virtual_org": "KC-TAXPAYERS", "credit_code": ENTERPRISE_C,
         "group": "KC-KEY"},
    ]
    return units + departments + posts + people + holdings + enterprises + members + virtual


#: Every table the importer writes.
DIRECTORY_TABLES = (m.OrgUnit, m.Department, m.Post, m.PostDuty, m.Person, m.Holding, m.Enterprise,
                    m.EnterpriseMember, m.VirtualOrg, m.VirtualGroup, m.VirtualMembership)


async def table_counts(sessions) -> dict[str, int]:
    """Rows in each directory table, by table name."""
    async with sessions() as session:
        return {model.__tablename__: await session.scalar(select(func.count()).select_from(model))
                for model in DIRECTORY_TABLES}
