"""Every `eno.azure.io/*` key, finalizer, field manager and reason string Eno uses (spec api.md §3.7, §7, §8).

The values are part of the compatibility contract: users' manifests, scripts and log queries use them.
"""

from typing import Final

GROUP: Final = "eno.azure.io"
VERSION: Final = "v1"
API_VERSION: Final = "eno.azure.io/v1"
PREFIX: Final = "eno.azure.io/"  # reserved; stripped from annotations and labels before apply

# --- Finalizers and field managers (§8) ---
FINALIZER_CLEANUP: Final = "eno.azure.io/cleanup"  # the only Eno finalizer: Compositions, Symphonies, slices
FIELD_MANAGER: Final = "eno"  # SSA field manager (force=true) and drift-correction update field owner
MANAGED_BY_LABEL: Final = "app.kubernetes.io/managed-by"  # label on synthesis pods
MANAGED_BY_VALUE: Final = "eno"  # value of MANAGED_BY_LABEL on synthesis pods

# --- On synthesized resources, read by the reconciler (§7.1) ---
ANNOTATION_READINESS: Final = "eno.azure.io/readiness"  # CEL readiness check named "default"
ANNOTATION_READINESS_PREFIX: Final = "eno.azure.io/readiness-"  # eno.azure.io/readiness-<name>: extra check
ANNOTATION_READINESS_GROUP: Final = "eno.azure.io/readiness-group"  # int apply order (default 0)
ANNOTATION_DELETION_GROUP: Final = "eno.azure.io/deletion-group"  # int delete order while deleting
ANNOTATION_OVERRIDES: Final = "eno.azure.io/overrides"  # JSON array of overrides (§7.2)
ANNOTATION_FAIL_OPEN: Final = "eno.azure.io/fail-open"  # Go bool; overrides the --fail-open flag
# Cascading keys: may also be put on the Composition as the default for all its resources.
ANNOTATION_DISABLE_RECONCILIATION: Final = "eno.azure.io/disable-reconciliation"  # "true": never touch
ANNOTATION_DISABLE_UPDATES: Final = "eno.azure.io/disable-updates"  # "true": create if missing, never update
ANNOTATION_REPLACE: Final = "eno.azure.io/replace"  # "true": full PUT instead of SSA
ANNOTATION_DELETION_STRATEGY: Final = "eno.azure.io/deletion-strategy"  # "orphan" | "foreground"
ANNOTATION_RECONCILE_INTERVAL: Final = "eno.azure.io/reconcile-interval"  # Go duration: periodic re-apply
# "true": with no explicit interval, use --default-reconcile-interval.
ANNOTATION_USE_DEFAULT_RECONCILE_INTERVAL: Final = "eno.azure.io/use-default-reconcile-interval"
CASCADING_ANNOTATIONS: Final = (
    ANNOTATION_DISABLE_RECONCILIATION,
    ANNOTATION_DISABLE_UPDATES,
    ANNOTATION_REPLACE,
    ANNOTATION_DELETION_STRATEGY,
    ANNOTATION_RECONCILE_INTERVAL,
    ANNOTATION_USE_DEFAULT_RECONCILE_INTERVAL,
)
DELETION_STRATEGY_ORPHAN: Final = "orphan"  # leave the object in place when the composition is deleted
DELETION_STRATEGY_FOREGROUND: Final = "foreground"  # poll after delete until the object is gone

# --- On Compositions (§7.3) ---
ANNOTATION_IGNORE_SIDE_EFFECTS: Final = "eno.azure.io/ignore-side-effects"  # "true": no input-driven resynth
ANNOTATION_FORCE_RESYNTHESIS: Final = "eno.azure.io/force-resynthesis"  # value = latest synthesis UUID
# "true": while deleting, drop the finalizer at once when the owning Symphony is gone.
ANNOTATION_FORCE_DELETE_WHEN_SYMPHONY_GONE: Final = "eno.azure.io/forceDeleteWhenSymphonyGone"
ANNOTATION_GLOBAL_SYNTHESIZER_EPOCH: Final = "eno.azure.io/global-synthesizer-epoch"  # hex FNV-64 barrier
ANNOTATION_OPERATION_ID: Final = "eno.azure.io/operationID"  # correlation ID, logging only
ANNOTATION_OPERATION_ORIGIN: Final = "eno.azure.io/operationOrigin"  # correlation origin, logging only
LABEL_SYMPHONY_DELETING: Final = "eno.azure.io/symphony-deleting"  # label "true": symphony is being deleted
# synthesisEnv names used as fallback for the operation annotations (Go OperationIdKey/OperationOrigionKey).
ENV_OPERATION_ID: Final = "operationID"
ENV_OPERATION_ORIGIN: Final = "operationOrigin"

# --- On input objects (§7.4) ---
ANNOTATION_REVISION: Final = "eno.azure.io/revision"  # int: lockstep revision of an input
ANNOTATION_SYNTHESIZER_GENERATION: Final = "eno.azure.io/synthesizer-generation"  # int64: input saw gen N
ANNOTATION_COMPOSITION_GENERATION: Final = "eno.azure.io/composition-generation"  # int64: input saw gen N
# ANNOTATION_IGNORE_SIDE_EFFECTS is also read on inputs (Go bool): true skips, false forces resynthesis.
ANNOTATION_INPUT_KEY: Final = "eno.azure.io/input-key"  # ref key, on the copy sent to the synthesizer only

# --- On Synthesizers and Namespaces (§7.5) ---
ANNOTATION_OWNER: Final = "eno.azure.io/owner"  # Synthesizer: label value on the stuck-reconciliation metric
ANNOTATION_RECREATION_REASON: Final = "eno.azure.io/recreation-reason"  # Namespace re-created by Eno
RECREATION_REASON_ORPHANED_RESOURCES: Final = "OrphanedResources"  # value of ANNOTATION_RECREATION_REASON

# --- Synthesis pod labels (§7.6) ---
LABEL_COMPOSITION_NAME: Final = "eno.azure.io/composition-name"  # pod: owning composition's name
LABEL_COMPOSITION_NAMESPACE: Final = "eno.azure.io/composition-namespace"  # pod: its namespace
LABEL_SYNTHESIS_UUID: Final = "eno.azure.io/synthesis-uuid"  # pod: the in-flight synthesis UUID
LABEL_SYNTHESIZER_NAME: Final = "eno.azure.io/synthesizer-name"  # pod: the synthesizer's name
# Env vars Eno sets on the synthesis container; synthesisEnv entries with these names are dropped.
ENV_COMPOSITION_NAME: Final = "COMPOSITION_NAME"
ENV_COMPOSITION_NAMESPACE: Final = "COMPOSITION_NAMESPACE"
ENV_SYNTHESIS_UUID: Final = "SYNTHESIS_UUID"
ENV_IMAGE: Final = "IMAGE"
RESERVED_ENV_NAMES: Final = frozenset(
    {ENV_COMPOSITION_NAME, ENV_COMPOSITION_NAMESPACE, ENV_SYNTHESIS_UUID, ENV_IMAGE}
)

# --- Dependency reasons (§3.7; the constants, not the code comments, are the truth: §10.13) ---
REASON_CIRCULAR_DEPENDENCY: Final = "CircularDependency"  # scheduler found a cycle
REASON_WAITING_ON_DEPENDENTS: Final = "WaitingOnDependents"  # deleting; dependents still exist
REASON_WAITING_ON_DEPENDENCIES: Final = "WaitingOnDependencies"  # a dependency is not Ready
REASON_DEPENDENCY_NOT_FOUND: Final = "DependencyNotFound"  # BlockedByRef: dependency missing
REASON_DEPENDENCY_NOT_READY: Final = "DependencyNotReady"  # BlockedByRef: dependency not Ready
REASON_DEPENDENT_NOT_DELETED: Final = "DependentNotDeleted"  # BlockedByRef: dependent still exists

# --- Simplified status values (§9.5) ---
STATUS_DELETING: Final = "Deleting"
STATUS_MISSING_SYNTHESIZER: Final = "MissingSynthesizer"
STATUS_SYNTHESIS_BACKOFF: Final = "SynthesisBackoff"
STATUS_SYNTHESIZING: Final = "Synthesizing"
STATUS_MISSING_INPUTS: Final = "MissingInputs"
STATUS_MISMATCHED_INPUTS: Final = "MismatchedInputs"  # never shown by Eno (§10.5)
STATUS_WAITING_ON_DEPENDENCIES: Final = "WaitingOnDependencies"
STATUS_PENDING_SYNTHESIS: Final = "PendingSynthesis"
STATUS_READY: Final = "Ready"
STATUS_NOT_READY: Final = "NotReady"
STATUS_RECONCILING: Final = "Reconciling"
STATUS_UNKNOWN: Final = "Unknown"  # unreachable fallback
ERROR_TIMEOUT: Final = "Timeout"  # simplified.error of a canceled synthesis with no error result

# --- KRM result severities (§6.3); only exactly "error" counts as an error (§10.11) ---
RESULT_SEVERITY_ERROR: Final = "error"
RESULT_SEVERITY_WARNING: Final = "warning"
RESULT_SEVERITY_INFO: Final = "info"

# --- Other wire constants ---
KRM_API_VERSION: Final = "config.kubernetes.io/v1"  # ResourceList apiVersion
KRM_KIND: Final = "ResourceList"
PATCH_KIND: Final = "Patch"  # the Patch pseudo-kind, apiVersion API_VERSION (§6.2)
DEFAULT_SYNTHESIZER_COMMAND: Final = ("synthesize",)  # used when spec.command is empty
MAX_SLICE_BYTES: Final = 1024 * 512  # a new slice starts once a slice's manifests reach this many bytes
