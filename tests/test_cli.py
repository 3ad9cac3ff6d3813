from eno_cmd.eno import main


def test_version_prints_and_exits_zero(capsys) -> None:
    assert main(["version"]) == 0
    assert "eno-py" in capsys.readouterr().out
