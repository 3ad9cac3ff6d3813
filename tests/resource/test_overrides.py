"""Override ops with the real CEL engine: Eno's TestOpApply and VPA tables, our inert-op rule, fail-open,
composition metadata and pathManagedByEno."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eno.api.v1.composition import Composition
from eno.cel.engine import Engine, default_engine
from eno.resource.errors import ResourceError
from eno.resource.mutation import MutationStatus
from eno.resource.overridepath import parse_path
from eno.resource.overrides import CompositionMetadata, OverrideOp, apply_overrides, parse_overrides
from eno.resource.ownership import path_managed_by_eno
from eno.runtime.frozen import freeze

RES = "(.ConfigMap)/default/test"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return default_engine()


def op_from(engine: Engine, **fields: Any) -> OverrideOp:
    ops, errors = parse_overrides(json.dumps([fields]), engine, RES)
    assert errors == ()
    return ops[0]


def run(engine: Engine, fields: dict[str, Any], current: dict[str, Any] | None, obj: dict[str, Any]) -> Any:
    result = apply_overrides(obj, (op_from(engine, **fields),), CompositionMetadata(), current, RES)
    return result


ANNOTATED = {"metadata": {"annotations": {"override-min-max": "enabled"}}, "spec": {}}
COND = "self.metadata.annotations['override-min-max'] == 'enabled'"
HAS_GUARD = (
    "has(self.metadata.annotations) && 'override-min-max' in self.metadata.annotations"
    " && self.metadata.annotations['override-min-max'] == 'enabled'"
)
MIN_CPU = {"spec": {"minAllowed": {"cpu": "100m"}}}

# (id, op fields, current, mutated before, mutated after) -- Eno's TestOpApply, same names.
OP_APPLY: list[tuple[str, dict[str, Any], dict[str, Any] | None, dict[str, Any], dict[str, Any]]] = [
    (
        "ConditionMet_MutationApplied",
        {"path": "self.foo", "condition": "true", "value": "bar"},
        {},
        {},
        {"foo": "bar"},
    ),
    ("ConditionNotMet_NoMutation", {"path": "self.foo", "condition": "false", "value": "bar"}, {}, {}, {}),
    (
        "NilCurrentWithStaticCondition_MutationApplied",
        {"path": "self.foo", "condition": "true", "value": "bar"},
        None,
        {},
        {"foo": "bar"},
    ),
    (
        "NilCurrentWithCondition_NoMutation",
        {"path": "self.foo", "condition": "self.bar", "value": "bar"},
        None,
        {},
        {},
    ),
    (
        "NilCurrentWithFalsyCondition_NoMutation",
        {"path": "self.foo", "condition": "false", "value": "bar"},
        None,
        {},
        {},
    ),
    (
        "NilCurrentWithNoCondition_MutationApplied",
        {"path": "self.foo", "value": "bar"},
        None,
        {},
        {"foo": "bar"},
    ),
    ("NoCondition_MutationApplied", {"path": "self.foo", "value": "bar"}, {}, {}, {"foo": "bar"}),
    (
        "CELValueExpression_ResolvesFromCurrent",
        {"path": "self.foo", "valueExpression": "self.bar"},
        {"bar": "resolved-value"},
        {},
        {"foo": "resolved-value"},
    ),
    (
        "CELValueExpression_NilCurrent_Skipped",
        {"path": "self.foo", "valueExpression": "self.bar"},
        None,
        {},
        {},
    ),
    (
        "CELValueExpression_WithCondition",
        {"path": "self.foo", "condition": "has(self.bar)", "valueExpression": "self.bar"},
        {"bar": "dynamic-val"},
        {},
        {"foo": "dynamic-val"},
    ),
    (
        "CELValueExpression_NullResult_SkipsMutation",
        {"path": "self.foo", "valueExpression": "null"},
        {"bar": "val"},
        {"foo": "old-value"},
        {"foo": "old-value"},
    ),
    (
        "CELValueExpression_NullResult_NoFieldToDelete",
        {"path": "self.foo", "valueExpression": "null"},
        {"bar": "val"},
        {},
        {},
    ),
    (
        "StaticNilValue_DeletesField",
        {"path": "self.foo", "value": None},
        {"bar": "val"},
        {"foo": "old-value"},
        {},
    ),
    (
        "ConditionMet_AnnotationExists_MutationApplied",
        {"path": "self.spec.minAllowed.cpu", "condition": COND, "value": "100m"},
        ANNOTATED,
        {"spec": {}},
        MIN_CPU,
    ),
    (
        "ConditionNotMet_AnnotationDisabled_NoMutation",
        {"path": "self.spec.minAllowed.cpu", "condition": COND, "value": "100m"},
        {"metadata": {"annotations": {"override-min-max": "disabled"}}, "spec": {}},
        {"spec": {}},
        {"spec": {}},
    ),
    (
        "Bug1_AnnotationKeyMissing_CurrentExists_SilentlyInactive",
        {"path": "self.spec.minAllowed.cpu", "condition": COND, "value": "100m"},
        {"metadata": {"annotations": {}}, "spec": {}},
        {"spec": {}},
        {"spec": {}},
    ),
    (
        "Bug1_NoAnnotationsMap_CurrentExists_SilentlyInactive",
        {"path": "self.spec.minAllowed.cpu", "condition": COND, "value": "100m"},
        {"metadata": {}, "spec": {}},
        {"spec": {}},
        {"spec": {}},
    ),
    (
        "Bug1_NilCurrent_ConditionRefsSelf_InvalidCondition",
        {"path": "self.spec.minAllowed.cpu", "condition": COND, "value": "100m"},
        None,
        {"spec": {}},
        {"spec": {}},
    ),
    (
        "HasGuard_AnnotationMissing_ConditionFalse_NoMutation",
        {"path": "self.spec.minAllowed.cpu", "condition": HAS_GUARD, "value": "100m"},
        {"metadata": {}, "spec": {}},
        {"spec": {}},
        {"spec": {}},
    ),
    (
        "HasGuard_AnnotationPresent_ConditionTrue_MutationApplied",
        {"path": "self.spec.minAllowed.cpu", "condition": HAS_GUARD, "value": "100m"},
        ANNOTATED,
        {"spec": {}},
        MIN_CPU,
    ),
    ("StaticValue_StillWorks", {"path": "self.foo", "value": "static-val"}, {}, {}, {"foo": "static-val"}),
]


@pytest.mark.parametrize(
    ("fields", "current", "before", "after"), [c[1:] for c in OP_APPLY], ids=[c[0] for c in OP_APPLY]
)
def test_op_apply(
    engine: Engine, fields: dict[str, Any], current: dict[str, Any] | None, before: dict[str, Any], after: Any
) -> None:
    assert run(engine, fields, current, before).obj == after


STATUSES = [
    (
        "condition-error-is-invalid-condition",
        {"path": "self.a", "condition": "self.missing.x", "value": 1},
        {},
        MutationStatus.INVALID_CONDITION,
    ),
    (
        "non-boolean-condition-is-inactive",
        {"path": "self.a", "condition": "'true'", "value": 1},
        {},
        MutationStatus.INACTIVE,
    ),
    (
        "value-expression-error",
        {"path": "self.foo", "valueExpression": "self.bar.baz"},
        {"bar": "not-a-map"},
        MutationStatus.INVALID_VALUE_EXPRESSION,
    ),
    ("path-type-mismatch", {"path": "self.foo[*]", "value": "new"}, {}, MutationStatus.PATH_TYPE_MISMATCH),
    ("root-path", {"path": "self", "value": 1}, {}, MutationStatus.MISSING_PARENT),
]


@pytest.mark.parametrize(
    ("fields", "current", "status"), [s[1:] for s in STATUSES], ids=[s[0] for s in STATUSES]
)
def test_failures_fail_open(
    engine: Engine, fields: dict[str, Any], current: Any, status: MutationStatus
) -> None:
    obj = {"foo": "synthesized-default"}
    result = run(engine, fields, current, obj)
    assert result.outcomes[0].status == status
    assert result.obj == {"foo": "synthesized-default"}
    if status == MutationStatus.INACTIVE:
        assert result.errors == ()
    else:
        [error] = result.errors
        assert error.resource == RES and '["eno.azure.io/overrides"][0]' in error.field


def test_ops_apply_in_order_last_wins(engine: Engine) -> None:
    ops, _ = parse_overrides(
        json.dumps([{"path": "self.data.a", "value": "1"}, {"path": "self.data.a", "value": "2"}]),
        engine,
        RES,
    )
    assert apply_overrides({}, ops, CompositionMetadata(), None, RES).obj == {"data": {"a": "2"}}


def test_later_ops_see_earlier_effects_and_input_is_untouched(engine: Engine) -> None:
    ops, _ = parse_overrides(
        json.dumps([{"path": "self.data", "value": {"a": "1"}}, {"path": "self.data.b", "value": "2"}]),
        engine,
        RES,
    )
    obj = {"data": {"x": "0"}}
    assert apply_overrides(obj, ops, CompositionMetadata(), None, RES).obj == {"data": {"a": "1", "b": "2"}}
    assert obj == {"data": {"x": "0"}}


def vpa(min_max: str, mode_gate: str, lo: str, hi: str, mode: str) -> dict[str, Any]:
    return {
        "metadata": {
            "annotations": {
                "autoscaler.addons.k8s.io/override-min-max": min_max,
                "autoscaler.addons.k8s.io/override-update-mode": mode_gate,
            }
        },
        "spec": {
            "updatePolicy": {"updateMode": mode},
            "resourcePolicy": {
                "containerPolicies": [
                    {
                        "containerName": "cost-analysis-agent",
                        "minAllowed": {"memory": lo},
                        "maxAllowed": {"memory": hi},
                    }
                ]
            },
        },
    }


POLICY = 'self.spec.resourcePolicy.containerPolicies[containerName="cost-analysis-agent"]'
GATE = "self.metadata.annotations['autoscaler.addons.k8s.io/override-{}'] == 'enabled'"
VPA_OPS = [
    {
        "path": POLICY + ".minAllowed.memory",
        "condition": GATE.format("min-max"),
        "valueExpression": "self.spec.resourcePolicy.containerPolicies[0].minAllowed.memory",
    },
    {
        "path": POLICY + ".maxAllowed.memory",
        "condition": GATE.format("min-max"),
        "valueExpression": "self.spec.resourcePolicy.containerPolicies[0].maxAllowed.memory",
    },
    {
        "path": "self.spec.updatePolicy.updateMode",
        "condition": GATE.format("update-mode"),
        "valueExpression": "self.spec.updatePolicy.updateMode",
    },
]
D = ("10Mi", "30Mi", "Recreate")
# Eno's TestVPAOverrideMatrix: (id, min-max gate, mode gate, live min, max, mode, expected min, max, mode)
VPA_MATRIX = [
    ("Case01_EnabledEnabled", "enabled", "enabled", "99Mi", "99Mi", "Off", "99Mi", "99Mi", "Off"),
    ("Case02_DisabledDisabled", "disabled", "disabled", "99Mi", "99Mi", "Off", *D),
    ("Case03_EnabledDisabled", "enabled", "disabled", "99Mi", "99Mi", "Off", "99Mi", "99Mi", D[2]),
    ("Case04_DisabledEnabled", "disabled", "enabled", "99Mi", "99Mi", "Off", D[0], D[1], "Off"),
    (
        "Case05_EnabledEnabled_ChangeMin",
        "enabled",
        "enabled",
        "50Mi",
        "30Mi",
        "Recreate",
        "50Mi",
        "30Mi",
        "Recreate",
    ),
    (
        "Case06_EnabledEnabled_ChangeMax",
        "enabled",
        "enabled",
        "10Mi",
        "100Mi",
        "Recreate",
        "10Mi",
        "100Mi",
        "Recreate",
    ),
    (
        "Case07_EnabledEnabled_ChangeMode",
        "enabled",
        "enabled",
        "10Mi",
        "30Mi",
        "Auto",
        "10Mi",
        "30Mi",
        "Auto",
    ),
    (
        "Case08_EnabledEnabled_ChangeMinMax",
        "enabled",
        "enabled",
        "20Mi",
        "60Mi",
        "Recreate",
        "20Mi",
        "60Mi",
        "Recreate",
    ),
    (
        "Case09_EnabledEnabled_ChangeMinMode",
        "enabled",
        "enabled",
        "25Mi",
        "30Mi",
        "Initial",
        "25Mi",
        "30Mi",
        "Initial",
    ),
    ("Case10_EnabledEnabled_ChangeAll", "enabled", "enabled", "15Mi", "50Mi", "Auto", "15Mi", "50Mi", "Auto"),
    ("Case11_DisabledDisabled_ChangeAll", "disabled", "disabled", "15Mi", "50Mi", "Auto", *D),
    ("Case12_EnabledDisabled_ChangeAll", "enabled", "disabled", "15Mi", "50Mi", "Auto", "15Mi", "50Mi", D[2]),
]


@pytest.mark.parametrize("case", [c[1:] for c in VPA_MATRIX], ids=[c[0] for c in VPA_MATRIX])
def test_vpa_override_matrix(engine: Engine, case: tuple[str, ...]) -> None:
    min_max, mode_gate, lo, hi, mode, want_lo, want_hi, want_mode = case
    ops, errors = parse_overrides(json.dumps(VPA_OPS), engine, RES)
    assert errors == ()
    current = vpa(min_max, mode_gate, lo, hi, mode)
    desired = vpa(min_max, mode_gate, *D)
    result = apply_overrides(desired, ops, CompositionMetadata(), current, RES).obj
    policy = result["spec"]["resourcePolicy"]["containerPolicies"][0]
    got = (
        policy["minAllowed"]["memory"],
        policy["maxAllowed"]["memory"],
        result["spec"]["updatePolicy"]["updateMode"],
    )
    assert got == (want_lo, want_hi, want_mode)


OPERATOR_CPU = "self.spec.template.spec.containers[name='operator'].resources.requests.cpu"
# Malformed annotations: the bad op is inert, the others apply, every problem is a ResourceError.
BAD_ANNOTATIONS = [
    ("invalid-json", "[{", 0, "invalid JSON"),
    ("not-an-array", '{"path": "self.a"}', 0, "JSON array"),
    ("nan-literal", '[{"path": "self.a", "value": NaN}]', 0, "invalid JSON"),
    ("op-not-an-object", '[1, {"path": "self.a", "value": 1}]', 1, "JSON object"),
    ("path-wrong-type", '[{"path": 1, "value": 1}, {"path": "self.a", "value": 1}]', 1, "must be a string"),
    (
        "condition-wrong-type",
        '[{"path": "self.b", "condition": true}, {"path": "self.a", "value": 1}]',
        1,
        "must be a string",
    ),
    ("missing-path", '[{"value": 1}, {"path": "self.a", "value": 1}]', 1, "required"),
    (
        "invalid-path",
        '[{"path": "spec.b", "value": 2}, {"path": "self.a", "value": 1}]',
        1,
        "must start with",
    ),
    (
        "value-and-value-expression",
        '[{"path": "self.b", "value": 2, "valueExpression": "1"}, {"path": "self.a", "value": 1}]',
        1,
        "mutually exclusive",
    ),
    # Eno would apply this op unconditionally; ours is inert.
    (
        "condition-does-not-compile",
        '[{"path": "self.b", "value": 2, "condition": "self.("}, {"path": "self.a", "value": 1}]',
        1,
        "invalid CEL",
    ),
    # Eno would remove self.b whenever the condition holds; ours is inert.
    (
        "value-expression-does-not-compile",
        '[{"path": "self.b", "condition": "true", "valueExpression": "1 +"}, {"path": "self.a", "value": 1}]',
        1,
        "invalid CEL",
    ),
    # Eno's TestInvalidPathInJson: a key-matcher in CEL does not compile.
    (
        "matcher-syntax-in-cel",
        json.dumps(
            [
                {
                    "path": OPERATOR_CPU,
                    "value": "250m",
                    "condition": OPERATOR_CPU + " == '250m'",
                },
                {"path": "self.a", "value": 1},
            ]
        ),
        1,
        "invalid CEL",
    ),
]


@pytest.mark.parametrize(
    ("text", "valid", "message"), [b[1:] for b in BAD_ANNOTATIONS], ids=[b[0] for b in BAD_ANNOTATIONS]
)
def test_bad_ops_are_inert_and_reported(engine: Engine, text: str, valid: int, message: str) -> None:
    ops, errors = parse_overrides(text, engine, RES)
    assert len(ops) == valid
    assert errors and all(isinstance(e, ResourceError) for e in errors)
    assert message in errors[0].message
    assert errors[0].resource == RES and errors[0].field.startswith(
        'metadata.annotations["eno.azure.io/overrides"]'
    )
    assert apply_overrides({"b": 0}, ops, CompositionMetadata(), {}, RES).obj == (
        {"b": 0, "a": 1} if valid else {"b": 0}
    )


def test_empty_condition_means_unconditional(engine: Engine) -> None:
    assert run(engine, {"path": "self.a", "condition": "", "value": 1}, None, {}).obj == {"a": 1}


COMPOSITION = CompositionMetadata.from_object(
    {
        "metadata": {
            "name": "comp",
            "namespace": "ns",
            "labels": {"team": "x"},
            "annotations": {"owner": "true"},
            "deletionTimestamp": "2026-01-01T00:00:00Z",
        }
    }
)
COMPOSITION_CONDITIONS = [
    ("name", "composition.metadata.name == 'comp'", True),
    ("namespace", "composition.metadata.namespace == 'ns'", True),
    ("label", "composition.metadata.labels['team'] == 'x'", True),
    ("annotation", "composition.metadata.annotations['owner'] == 'true'", True),
    ("deleting", "composition.metadata.deletionTimestamp != null", True),
    # migration.md: an absent key reads as "" so the migration recipe's condition holds on the non-owner.
    ("absent-annotation-reads-empty", "composition.metadata.annotations['moved'] != 'true'", True),
    ("membership-stays-exact", "'moved' in composition.metadata.annotations", False),
    # OverrideDeletionModeAnnotation_*: Eno errors on the absent key; ours reads [''] -- both skip the op.
    ("split-of-absent-key", "'x' in string(composition.metadata.annotations['orphan']).split(',')", False),
    ("split-of-present-key", "'comp' in string(composition.metadata.name).split(',')", True),
]


@pytest.mark.parametrize(
    ("condition", "applies"),
    [c[1:] for c in COMPOSITION_CONDITIONS],
    ids=[c[0] for c in COMPOSITION_CONDITIONS],
)
def test_composition_variable(engine: Engine, condition: str, applies: bool) -> None:
    op = op_from(engine, path="self.a", value=1, condition=condition)
    result = apply_overrides({}, (op,), COMPOSITION, None, RES)
    assert result.obj == ({"a": 1} if applies else {})


def test_composition_from_garbage_is_empty() -> None:
    assert CompositionMetadata.from_object({"metadata": {"labels": "x", "name": 3}}) == CompositionMetadata()
    assert CompositionMetadata.from_object(None) == CompositionMetadata()


def managed(manager: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"managedFields": [{"manager": manager, "operation": "Apply", "fieldsV1": fields}]}}


DATA_FOO: dict[str, Any] = {"f:data": {"f:foo": {}}}
# Eno's TestPathExprManagedByEno plus keyed elements, the self marker and parents.
MANAGED_BY_ENO = [
    ("FieldOwnedByEno", "self.data.foo", managed("eno", DATA_FOO), True),
    ("FieldOwnedByEno_SingleQuotedIndex", "self.data['foo']", managed("eno", DATA_FOO), True),
    ("FieldOwnedByEno_DoubleQuotedIndex", 'self.data["foo"]', managed("eno", DATA_FOO), True),
    ("FieldOwnedByOther", "self.data.foo", managed("other-manager", DATA_FOO), False),
    (
        "MultipleManagers_EnoOwnsField",
        "self.data.foo",
        {
            "metadata": {
                "managedFields": [
                    *managed("other", DATA_FOO)["metadata"]["managedFields"],
                    *managed("eno", DATA_FOO)["metadata"]["managedFields"],
                ]
            }
        },
        True,
    ),
    (
        "NestedPath",
        "self.spec.containers[0].image",
        managed("eno", {"f:spec": {"f:containers": {"i:0": {"f:image": {}}}}}),
        True,
    ),
    ("NoManagedFields", "self.data.foo", {"metadata": {"managedFields": []}}, False),
    ("NoCurrent", "self.data.foo", None, False),
    (
        "KeyedElement",
        "self.spec.containers[name='app'].resources.limits.cpu",
        managed(
            "eno",
            {"f:spec": {"f:containers": {'k:{"name":"app"}': {"f:resources": {"f:limits": {"f:cpu": {}}}}}}},
        ),
        True,
    ),
    (
        "KeyedElementOtherName",
        "self.spec.containers[name='db'].image",
        managed("eno", {"f:spec": {"f:containers": {'k:{"name":"app"}': {"f:image": {}}}}}),
        False,
    ),
    ("ParentOfOwnedLeafIsNotOwned", "self.data", managed("eno", DATA_FOO), False),
    ("SelfMarkerMakesParentOwned", "self.data", managed("eno", {"f:data": {".": {}, "f:foo": {}}}), True),
    (
        "WildcardNeverMatches",
        "self.spec.containers[*].image",
        managed("eno", {"f:spec": {"f:containers": {"i:0": {"f:image": {}}}}}),
        False,
    ),
    (
        "UnparseableFieldsIgnored",
        "self.data.foo",
        {"metadata": {"managedFields": [{"manager": "eno", "fieldsV1": "garbage"}]}},
        False,
    ),
]


@pytest.mark.parametrize(
    ("path", "current", "owned"), [m[1:] for m in MANAGED_BY_ENO], ids=[m[0] for m in MANAGED_BY_ENO]
)
def test_path_managed_by_eno(path: str, current: dict[str, Any] | None, owned: bool) -> None:
    assert path_managed_by_eno(parse_path(path), current) is owned


def test_not_path_managed_by_eno_keeps_another_managers_value(engine: Engine) -> None:
    # ExternallyManagedPropertyPreserved: `null` unless Eno owns the field leaves it to its owner.
    op = op_from(engine, path="self.data.foo", value=None, condition="!pathManagedByEno")
    desired = {"data": {"foo": "eno-value", "bar": "x"}}
    other_owns = {"data": {"foo": "theirs"}, **managed("other", DATA_FOO)}
    eno_owns = {"data": {"foo": "eno-value"}, **managed("eno", DATA_FOO)}
    assert apply_overrides(desired, (op,), CompositionMetadata(), other_owns, RES).obj == {
        "data": {"bar": "x"}
    }
    assert apply_overrides(desired, (op,), CompositionMetadata(), eno_owns, RES).obj == desired


def test_composition_metadata_from_the_api_type() -> None:
    comp = Composition.from_dict(
        {
            "metadata": {
                "name": "c",
                "namespace": "n",
                "annotations": {"a": "b"},
                "deletionTimestamp": "2026-01-01T00:00:00Z",
            }
        }
    )
    meta = CompositionMetadata.from_composition(comp)
    assert (meta.name, meta.namespace, dict(meta.annotations), meta.deletion_timestamp) == (
        "c",
        "n",
        {"a": "b"},
        "2026-01-01T00:00:00Z",
    )


def test_key_matcher_keeps_an_externally_raised_limit(engine: Engine) -> None:
    # OverrideContainerResources: `null` unless Eno owns the container's CPU limit.
    path = "self.spec.template.spec.containers[name='app'].resources.limits.cpu"
    op = op_from(engine, path=path, value=None, condition="!pathManagedByEno")
    container = {"name": "app", "resources": {"limits": {"cpu": "100m", "memory": "1Gi"}}}
    desired = {"spec": {"template": {"spec": {"containers": [container]}}}}
    limits: dict[str, Any] = {
        "f:spec": {
            "f:template": {
                "f:spec": {"f:containers": {'k:{"name":"app"}': {"f:resources": {"f:limits": {"f:cpu": {}}}}}}
            }
        }
    }
    raised_by_vpa = {
        "metadata": {"managedFields": [{"manager": "vpa", "operation": "Update", "fieldsV1": limits}]}
    }
    owned_by_eno = {
        "metadata": {"managedFields": [{"manager": "eno", "operation": "Apply", "fieldsV1": limits}]}
    }
    kept = apply_overrides(desired, (op,), CompositionMetadata(), raised_by_vpa, RES).obj
    assert kept["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {"memory": "1Gi"}
    assert apply_overrides(desired, (op,), CompositionMetadata(), owned_by_eno, RES).obj == desired


def test_override_on_a_patch_op_value(engine: Engine) -> None:
    # PatchOverrides: an override rewrites the value a Patch applies.
    op = op_from(engine, path="self.patch.ops[0].value", value="overridden")
    patch = {
        "patch": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "ops": [{"op": "add", "path": "/data/a", "value": "x"}],
        }
    }
    result = apply_overrides(patch, (op,), CompositionMetadata(), {}, RES).obj
    assert result["patch"]["ops"] == [{"op": "add", "path": "/data/a", "value": "overridden"}]


def test_field_names_match_case_insensitively_like_go(engine: Engine) -> None:
    ops, errors = parse_overrides('[{"Path": "self.a", "Value": 1, "CONDITION": "true"}]', engine, RES)
    assert errors == ()
    assert apply_overrides({"a": 0}, ops, CompositionMetadata(), None, RES).obj == {"a": 1}
    ops, _ = parse_overrides('[{"path": "self.a", "Value": 1, "value": 2}]', engine, RES)
    assert ops[0].value == 2, "an exact match wins"


def test_path_managed_by_eno_on_a_frozen_object() -> None:
    current = freeze({"data": {"foo": "x"}, **managed("eno", DATA_FOO)})
    assert path_managed_by_eno(parse_path("self.data.foo"), current)
