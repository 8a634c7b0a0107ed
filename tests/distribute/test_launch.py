"""kerazoo launch: N local processes with the cluster variables set, all stopped when one fails."""

import json
import os
import subprocess
import sys
import time

from kerazoo.distribute import launch


def test_each_process_gets_its_index_in_both_backends_variables(tmp_path):
    script = (
        "import json, os, sys; i = os.environ['KERAS_DISTRIBUTION_PROCESS_ID'];"
        f"open(os.path.join({str(tmp_path)!r}, i + '.json'), 'w').write(json.dumps(dict(os.environ)))"
    )
    assert launch([sys.executable, "-c", script], 2) == 0
    seen = [json.loads((tmp_path / f"{i}.json").read_text()) for i in range(2)]
    for index, env in enumerate(seen):
        assert json.loads(env["TF_CONFIG"])["task"] == {"type": "worker", "index": index}
        assert env["KERAS_DISTRIBUTION_NUM_PROCESSES"] == "2"
    assert seen[0]["KERAS_DISTRIBUTION_JOB_ADDRESSES"] == seen[1]["KERAS_DISTRIBUTION_JOB_ADDRESSES"]


def test_a_failing_process_stops_the_others_and_its_status_is_returned():
    # Process 1 fails at once; process 0 would otherwise wait ten minutes.
    script = (
        "import os, sys, time\nif os.environ['KERAS_DISTRIBUTION_PROCESS_ID'] == '1': sys.exit(3)\ntime.sleep(600)\n"
    )
    start = time.monotonic()
    assert launch([sys.executable, "-c", script], 2) == 3
    assert time.monotonic() - start < 30


def test_the_command_line_runs_what_follows_the_double_dash(tmp_path):
    marker = tmp_path / "ran"
    command = [sys.executable, "-m", "kerazoo.cli", "launch", "-n", "1", "--"]
    run = subprocess.run([*command, sys.executable, "-c", f"open({str(marker)!r}, 'w')"], capture_output=True)
    assert run.returncode == 0 and marker.exists()


def test_the_command_line_without_a_command_says_how_to_give_one():
    run = subprocess.run([sys.executable, "-m", "kerazoo.cli", "launch", "-n", "2"], capture_output=True, text=True)
    assert run.returncode == 2 and "name the command after --" in run.stderr


def test_the_launcher_leaves_the_callers_other_subprocesses_alone():
    mine = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(7)"])
    os.waitid(os.P_PID, mine.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped: a launcher could steal it
    assert launch([sys.executable, "-c", "pass"], 1) == 0
    assert mine.wait() == 7
