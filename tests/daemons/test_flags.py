"""Flags parse as Go's flag package parses them; bad values fail with one line naming the flag."""

from __future__ import annotations

import pytest
from eno_cmd import controller, reconciler
from eno_cmd.eno import main as eno_main
from hypothesis import given
from hypothesis import strategies as st

from eno.config.flags import FlagError, FlagSet, HelpRequested, format_duration, parse_duration


def flagset() -> FlagSet:
    flags = FlagSet("test")
    flags.add_string("name", "x", "a string")
    flags.add_bool("debug", True, "a bool")
    flags.add_bool("quiet", False, "a bool")
    flags.add_int("count", 1, "an int")
    flags.add_float("qps", 20.0, "a float")
    flags.add_duration("timeout", 30.0, "a duration")
    return flags


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param([], {}, id="defaults"),
        pytest.param(["--name=a"], {"name": "a"}, id="double-dash-equals"),
        pytest.param(["-name=a"], {"name": "a"}, id="single-dash-equals"),
        pytest.param(["--name", "a"], {"name": "a"}, id="double-dash-space"),
        pytest.param(["-name", "a"], {"name": "a"}, id="single-dash-space"),
        pytest.param(["--name="], {"name": ""}, id="empty-value"),
        pytest.param(["--name", "-x"], {"name": "-x"}, id="value-looking-like-a-flag"),
        pytest.param(["--name=a=b"], {"name": "a=b"}, id="equals-in-value"),
        pytest.param(["--quiet"], {"quiet": True}, id="bare-bool"),
        pytest.param(["-quiet"], {"quiet": True}, id="bare-bool-single-dash"),
        pytest.param(["--debug=false"], {"debug": False}, id="bool-false"),
        pytest.param(["--debug=0"], {"debug": False}, id="bool-zero"),
        pytest.param(["--debug=F"], {"debug": False}, id="bool-F"),
        pytest.param(["--quiet=TRUE"], {"quiet": True}, id="bool-TRUE"),
        pytest.param(["--count=0x10"], {"count": 16}, id="int-hex"),
        pytest.param(["--count", "-3"], {"count": -3}, id="int-negative"),
        pytest.param(["--qps=0.5"], {"qps": 0.5}, id="float"),
        pytest.param(["--timeout=1m30s"], {"timeout": 90.0}, id="duration-compound"),
        pytest.param(["--timeout=250ms"], {"timeout": 0.25}, id="duration-ms"),
        pytest.param(["--timeout=0"], {"timeout": 0.0}, id="duration-bare-zero"),
        pytest.param(["--timeout=1.5h"], {"timeout": 5400.0}, id="duration-fraction"),
        pytest.param(["--name=a", "--name=b"], {"name": "b"}, id="last-wins"),
        pytest.param(["--quiet", "--"], {"quiet": True}, id="terminator"),
    ],
)
def test_parses_like_go(argv, expected) -> None:
    values = flagset().parse(argv)
    defaults = flagset().parse([])
    assert values == {**defaults, **expected}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--nope"], "flag provided but not defined: -nope", id="unknown"),
        pytest.param(["--name"], "flag needs an argument: -name", id="missing-value"),
        pytest.param(["--count=x"], 'invalid value "x" for flag -count: not an integer', id="bad-int"),
        pytest.param(["--count= 1"], 'invalid value " 1" for flag -count: not an integer', id="int-spaces"),
        pytest.param(["--qps=fast"], 'invalid value "fast" for flag -qps: not a number', id="bad-float"),
        pytest.param(["--debug=yes"], 'invalid value "yes" for flag -debug: not a boolean', id="bad-bool"),
        pytest.param(["--timeout=30"], "missing unit in duration", id="duration-without-unit"),
        pytest.param(["--timeout=5d"], 'unknown unit "d"', id="duration-days"),
        pytest.param(["---name=a"], "bad flag syntax: ---name=a", id="three-dashes"),
        pytest.param(["-=a"], "bad flag syntax: -=a", id="no-name"),
        pytest.param(["extra"], "unexpected argument 'extra'", id="positional"),
        pytest.param(["--quiet", "false"], "unexpected argument 'false'", id="bool-does-not-take-next-arg"),
    ],
)
def test_rejects_with_one_line(argv, message) -> None:
    with pytest.raises(FlagError) as err:
        flagset().parse(argv)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("argv", [["-h"], ["--help"], ["-help"], ["--quiet", "--help"]])
def test_help(argv) -> None:
    with pytest.raises(HelpRequested):
        flagset().parse(argv)


@given(st.integers(min_value=0, max_value=10**6))
def test_duration_round_trip_in_whole_seconds(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize(
    ("program", "argv", "env", "code", "line"),
    [
        pytest.param(
            controller,
            [],
            {},
            2,
            "a value is required in --synthesizer-pod-namespace or POD_NAMESPACE",
            id="ns",
        ),
        pytest.param(
            controller, [], {"POD_NAMESPACE": "eno"}, 2, "a value is required in --executor-image", id="image"
        ),
        pytest.param(
            controller,
            ["--synthesizer-pod-namespace=eno", "--executor-image=x", "--leader-election"],
            {},
            2,
            "a value is required in --leader-election-namespace or POD_NAMESPACE",
            id="lease-ns",
        ),
        pytest.param(
            controller,
            ["--executor-image=x", "--leader-election"],
            {"POD_NAMESPACE": "eno"},
            2,
            "a value is required in --leader-election-id",
            id="lease-id",
        ),
        pytest.param(
            controller,
            ["--executor-image=x", "--concurrency-limit=0"],
            {"POD_NAMESPACE": "eno"},
            2,
            'invalid value "0" for flag -concurrency-limit',
            id="concurrency",
        ),
        pytest.param(reconciler, ["--qps=x"], {}, 2, 'invalid value "x" for flag -qps', id="qps"),
        pytest.param(
            reconciler,
            ["--composition-label-selector=a in (b"],
            {},
            2,
            "invalid composition label selector",
            id="selector",
        ),
        pytest.param(
            reconciler, ["--resource-filter=self.("], {}, 2, "invalid resource filter expression", id="cel"
        ),
        pytest.param(reconciler, ["--metrics-addr=nowhere"], {}, 2, "-metrics-addr", id="address"),
        pytest.param(
            reconciler,
            ["--leader-election", "--leader-election-id=r", "--leader-election-resource-lock=configmaps"],
            {"POD_NAMESPACE": "eno"},
            2,
            "-leader-election-resource-lock",
            id="lock",
        ),
        pytest.param(reconciler, ["--burst=0"], {}, 2, "-burst: must be at least 1", id="burst"),
        pytest.param(reconciler, [], {"CHAOS_RATIO": "2"}, 2, "CHAOS_RATIO", id="chaos"),
        pytest.param(reconciler, ["--remote-kubeconfig=x"], {}, 2, "--remote-kubeconfig", id="remote"),
    ],
)
def test_daemons_fail_at_start_with_one_line(program, argv, env, code, line, monkeypatch, capsys) -> None:
    for name in ("POD_NAMESPACE", "EXECUTOR_IMAGE", "CHAOS_RATIO"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert program.main(argv) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert line in err


@pytest.mark.parametrize("program", [controller, reconciler])
def test_help_lists_every_flag_with_its_default(program, capsys) -> None:
    assert program.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--leader-election-lease-duration duration" in out
    assert "(default 35s)" in out
    assert '(default ":8080")' in out


def test_controller_env_defaults_and_values(monkeypatch) -> None:
    env = {"POD_NAMESPACE": "eno", "EXECUTOR_IMAGE": "img"}
    values = controller.controller_flags().parse(
        [
            "--synthesizer-pod-labels=a=1, b=2,,=x",
            "--pod-timeout=2m",
            "-leader-election",
            "-leader-election-id=c",
        ]
    )
    config = controller.controller_config(values, env)
    assert config.synthesis.pod.namespace == "eno"
    assert config.synthesis.pod.executor_image == "img"
    assert dict(config.synthesis.pod.labels) == {"a": "1", "b": "2"}
    assert config.synthesis.pod_timeout == 120.0
    assert config.composition.pod_timeout == 120.0
    assert config.manager.leader_election is not None
    assert config.manager.leader_election.namespace == "eno"
    assert (config.manager.leader_election.lease_duration, config.manager.leader_election.retry_period) == (
        35.0,
        4.0,
    )
    assert config.debug is True


def test_controller_local_shim_needs_no_image() -> None:
    values = controller.controller_flags().parse(
        ["--synthesizer-pod-namespace=x", "--synthesizer-shim-command=python -m eno.synthesis.shim"]
    )
    config = controller.controller_config(values, {})
    assert config.synthesis.pod.shim_command == ("python", "-m", "eno.synthesis.shim")
    assert config.synthesis.pod.executor_image == ""


def test_reconciler_values_and_env_lists() -> None:
    env = {"MIGRATING_FIELD_MANAGERS": " kubectl , helm ,", "MIGRATING_FIELDS": "data"}
    values = reconciler.reconciler_flags().parse(
        ["--default-reconcile-interval=10s", "--disable-ssa", "--namespace-cleanup=false", "--debug=false"]
    )
    config = reconciler.reconciler_config(values, env)
    assert config.reconciliation.default_reconcile_interval == 10.0
    assert config.reconciliation.disable_ssa is True
    assert config.reconciliation.migrating_field_managers == ("kubectl", "helm")
    assert config.reconciliation.migrating_fields == ("data",)
    assert config.liveness.namespace_cleanup is False
    assert config.debug is False
    assert config.manager.health_probe_addr == ":8081"


def test_eno_still_answers_version(capsys) -> None:
    assert eno_main(["version"]) == 0
