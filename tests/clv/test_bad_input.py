"""Bad input to `ladder clv` gets one clear line on stderr and exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ladder.cli import main
from ladder.config import PROJECT_ROOT

GOOD = "customer_id,date,amount\na,2024-01-01,10\na,2024-01-05,20\nb,2024-01-02,5\n"


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(["clv", *args])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty: expected a CSV header with the columns customer_id, date, amount"),
        ("customer_id,date,amount\n", "no transactions before the as-of date 2024-06-01"),
        ("customer,date,amount\na,2024-01-01,1\n", "has no column 'customer_id' (it has"),
        ("customer_id,day,value\na,2024-01-01,1\n", "has no column 'date', 'amount'"),
        ("customer_id,date,amount\na,01/02/2024,1\n", "row 1 has a date that is not ISO 8601"),
        ("customer_id,date,amount\na,2024-02-30,1\n", "row 1 has a date that is not ISO 8601"),
        ("customer_id,date,amount\na,2024-01-01,1\na,2024-01-02,-3\n", "row 2 has a negative"),
        ("customer_id,date,amount\na,2024-01-01,nan\n", "row 1 has an amount that is not a"),
        ("customer_id,date,amount\na,2024-01-01,inf\n", "row 1 has an amount that is not a"),
        ("customer_id,date,amount\na,2024-01-01,\n", "row 1 has an amount that is not a"),
        ("customer_id,date,amount\na,2024-01-01,12 EUR\n", "amount that is not a finite"),
        ("customer_id,date,amount\n,2024-01-01,1\n", "row 1 has no customer_id"),
        ("customer_id,date,amount\na,2024-07-01,1\n", "no transactions before the as-of"),
        (
            "customer_id,date,amount\na,2024-01-01,1\nb,2024-01-02,1\na,2024-01-01,4\n",
            "none of the 2 customers made a repeat purchase",
        ),
        (
            "customer_id,date,amount\na,2024-01-01,1\na,2024-01-02,0\n",
            "no repeat buyer has a positive mean margin",
        ),
    ],
)
@pytest.mark.parametrize("action", ["fit", "score"])
def test_bad_transactions(tmp_path: Path, capsys, action: str, content: str, message: str) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(content)
    extra = ["--horizon", "365", "--out", str(tmp_path / "s.csv")] if action == "score" else []
    code, err = run(capsys, action, str(path), "--as-of", "2024-06-01", *extra)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("ladder: error: ")
    assert message in err
    assert not (tmp_path / "s.csv").exists()


def test_missing_file_and_directory(tmp_path: Path, capsys) -> None:
    code, err = run(capsys, "fit", str(tmp_path / "nope.csv"), "--as-of", "2024-06-01")
    assert (code, err.strip()) == (2, f"ladder: error: {tmp_path / 'nope.csv'}: no such file")
    code, err = run(capsys, "fit", str(tmp_path), "--as-of", "2024-06-01")
    assert code == 2 and "is a directory" in err


@pytest.mark.parametrize(
    "args",
    [
        ["fit", "tx.csv", "--as-of", "2024-02-30"],
        ["fit", "tx.csv"],
        ["fit", "tx.csv", "--as-of", "2024-06-01", "--time-unit", "M"],
        ["score", "tx.csv", "--as-of", "2024-06-01", "--horizon", "0", "--out", "s.csv"],
        ["score", "tx.csv", "--as-of", "2024-06-01", "--horizon", "nan", "--out", "s.csv"],
        ["score", "tx.csv", "--as-of", "2024-06-01", "--out", "s.csv"],
    ],
)
def test_bad_arguments(capsys, args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["clv", *args])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_bad_discount_rate_in_config(tmp_path: Path, capsys, fresh_config) -> None:
    project = (PROJECT_ROOT / "ladder.yml").read_text()
    fresh_config(project.replace("annual_discount_rate: 0.1", "annual_discount_rate: ten percent"))
    path = tmp_path / "tx.csv"
    path.write_text(GOOD)
    out = tmp_path / "s.csv"
    code, err = run(
        capsys, "score", str(path), "--as-of", "2024-06-01", "--horizon", "30", "--out", str(out)
    )
    assert code == 2 and "clv.annual_discount_rate must be a number" in err


def test_the_installed_command_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,date,amount\na,yesterday,1\n")
    done = subprocess.run(
        [sys.executable, "-m", "ladder.cli", "clv", "fit", str(path), "--as-of", "2024-06-01"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    date_error = f"{path}: row 1 has a date that is not ISO 8601: 'yesterday'"
    assert done.stderr == f"ladder: error: {date_error}\n"
