"""CSV history imports: bytes in, typed payloads or precise row errors out.

Nothing here touches the database: the apply side calls ``parse_orders_csv``
and ``parse_contacts_csv`` and hands each record to the same apply functions
the webhooks use.
"""

from winback.imports.contacts import ImportedContact, parse_contacts_csv
from winback.imports.mapping import load_column_mapping, parse_column_mapping
from winback.imports.orders import ImportedOrder, parse_orders_csv
from winback.imports.problems import ImportRefused, RowError
from winback.imports.source import ByteSource, Progress, ProgressHook

__all__ = [
    "ByteSource",
    "ImportRefused",
    "ImportedContact",
    "ImportedOrder",
    "Progress",
    "ProgressHook",
    "RowError",
    "load_column_mapping",
    "parse_column_mapping",
    "parse_contacts_csv",
    "parse_orders_csv",
]
