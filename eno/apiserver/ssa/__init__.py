"""Server-side apply: field sets, list types, managedFields and the apply/update field manager."""

from eno.apiserver.ssa.fieldmanager import (
    BEFORE_FIRST_APPLY,
    ApplyConflict,
    Conflict,
    FieldSetError,
    apply,
    compare,
    field_set,
    record_update,
)
from eno.apiserver.ssa.fieldpath import FieldSet, Path, PathElement, from_fields_v1, path_string, to_fields_v1
from eno.apiserver.ssa.listtypes import (
    ATOMIC,
    SET,
    ListType,
    ListTypeResolver,
    builtin_list_types,
    list_map,
    no_list_types,
    schema_list_types,
)
from eno.apiserver.ssa.managedfields import ManagedFieldsEntry, decode_managed_fields, encode_managed_fields

__all__ = [
    "ATOMIC",
    "BEFORE_FIRST_APPLY",
    "SET",
    "ApplyConflict",
    "Conflict",
    "FieldSet",
    "FieldSetError",
    "ListType",
    "ListTypeResolver",
    "ManagedFieldsEntry",
    "Path",
    "PathElement",
    "apply",
    "builtin_list_types",
    "compare",
    "decode_managed_fields",
    "encode_managed_fields",
    "field_set",
    "from_fields_v1",
    "list_map",
    "no_list_types",
    "path_string",
    "record_update",
    "schema_list_types",
    "to_fields_v1",
]
