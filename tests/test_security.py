"""Security promises (SPEC §8): tokens stay home, links and TLS are checked, files are private."""

from __future__ import annotations

import ast
import signal
import ssl
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import hostile_servers as hostile
import pytest
import reliability_support as support

from bridge.sandbox import RequestRecord, Sandbox

BRIDGE = Path(__file__).resolve().parents[1] / "bridge"
#: Ways a Python program starts another process; scbridge must use none of them.
PROCESS_MODULES = frozenset({"subprocess", "multiprocessing", "pty", "pexpect"})
PROCESS_CALLS = frozenset({"system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp",
                           "execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp",
                           "execvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv",
                           "spawnve", "spawnvp", "spawnvpe"})


def _migrate(config: Path, sb: Sandbox, *extra: str) -> subprocess.CompletedProcess[str]:
    return support.cli(["migrate", "-c", str(config), "--no-progress", "-q", *extra],
                       support.token_env(sb))


class TestForeignLinks:
    """A pagination link to another host or scheme is refused before anything is sent there."""

    @pytest.mark.parametrize("kind", ["Link", "X-Next-Page-free Link"], ids=["link", "link-only"])
    def test_a_next_link_to_another_host_gets_no_request(self, kind: str, tmp_path: Path) -> None:
        """The 127.0.0.2 listener the link names never sees a connection; the run exits 3."""
        with Sandbox() as sb, hostile.Listener("127.0.0.2") as elsewhere:
            sb.faults.add("gitlab", "foreign_link", path=hostile.ISSUES, base=elsewhere.url)
            if kind != "Link":  # without X-Next-Page, the Link is the only way on
                hostile.spoil(sb, "gitlab", path=hostile.ISSUES,
                              change=hostile.headers_of({}, drop=("X-Next-Page",)))
            done = _migrate(support.write_config(tmp_path, sb, http={"max_attempts": 2}), sb)
            assert done.returncode == 3
            assert "refusing to follow a link to http://127.0.0.2" in done.stderr
            assert elsewhere.received == []
            assert sb.log.count("target_write") == 0

    def test_a_next_link_to_another_scheme_is_refused(self, tmp_path: Path) -> None:
        """https:// on the same host and port is another origin: refused, nothing written."""
        with Sandbox() as sb:
            sb.faults.add("gitlab", "foreign_link", path=hostile.ISSUES,
                          base=sb.gitlab_url.replace("http://", "https://"))
            done = _migrate(support.write_config(tmp_path, sb), sb)
            assert done.returncode == 3
            assert "refusing to follow a link to https://127.0.0.1" in done.stderr
            issue_pages = [r for r in sb.log.entries if r.path.endswith("/issues")]
            assert len(issue_pages) == 1  # the page with the bad link, and no other

    def test_a_redirect_elsewhere_is_not_followed(self, tmp_path: Path) -> None:
        """A 302 to another host ends the run (exit 3) without a request to that host."""
        with Sandbox() as sb, hostile.Listener("127.0.0.2") as elsewhere:
            hostile.install(sb, "redirect-other-host", elsewhere.url)
            done = _migrate(support.write_config(tmp_path, sb), sb)
            assert done.returncode == 3
            assert elsewhere.received == []


class TestTokensOnTheWire:
    """How tokens travel: headers only, to their own server only."""

    def test_tokens_travel_in_headers_never_in_urls(self, tmp_path: Path) -> None:
        """GitLab gets PRIVATE-TOKEN, SourceCraft a Bearer header; no query carries a token."""
        with Sandbox() as sb:
            assert _migrate(support.write_config(tmp_path, sb), sb).returncode == 0
            entries = sb.log.entries
            assert {r.auth for r in entries if r.server == "gitlab"} == {"header"}
            assert {r.auth for r in entries if r.server == "sourcecraft"} == {"bearer"}
            for record in entries:
                assert sb.gitlab_token not in record.path + str(record.query)
                assert sb.sourcecraft_token not in record.path + str(record.query)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made by the openssl CLI."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture
def tls_sandbox(certificate: tuple[Path, Path]) -> Iterator[Sandbox]:
    """The demo sandbox with its fake GitLab answering over TLS with the self-signed cert."""
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with Sandbox() as sb:
        httpd = sb._server(0)._httpd
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        # The fake writes http:// into its Link headers; point them at its https:// self.
        sb.faults.add("gitlab", "foreign_link", base=sb.gitlab_url.replace("http:", "https:"))
        yield sb


class TestTls:
    """TLS is verified by default; a private CA is trusted only when the config names it."""

    def _config(self, folder: Path, sb: Sandbox, verify: str | None) -> Path:
        config = support.write_config(folder, sb, http={"max_attempts": 2} | (
            {"verify_tls": verify} if verify else {}))
        text = config.read_text(encoding="utf-8").replace(sb.gitlab_url,
                                                          sb.gitlab_url.replace("http:", "https:"))
        config.write_text(text, encoding="utf-8")
        return config

    def test_a_self_signed_server_is_refused_by_default(self, tls_sandbox: Sandbox,
                                                        tmp_path: Path) -> None:
        """Without verify_tls the certificate is not trusted: exit 3, one line, nothing written."""
        done = _migrate(self._config(tmp_path, tls_sandbox, None), tls_sandbox)
        assert done.returncode == 3, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].endswith("TLS certificate not trusted (self-signed certificate); for a "
                                 "private CA, set http.verify_tls to its CA bundle path")
        assert tls_sandbox.log.count("source_read") == 0  # no request got through the handshake
        assert tls_sandbox.log.count("target_write") == 0

    def test_the_named_ca_makes_the_same_server_trusted(self, tls_sandbox: Sandbox,
                                                        certificate: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
        """With verify_tls: <the CA file> the same server is trusted and the migration runs."""
        done = _migrate(self._config(tmp_path, tls_sandbox, str(certificate[0])), tls_sandbox)
        assert done.returncode == 0, done.stderr
        assert tls_sandbox.log.count("source_read") > 0
        assert len(tls_sandbox.sourcecraft.milestones()) == 13


class TestPrivateFiles:
    """The checkpoint and its companions are readable by their owner only."""

    def test_checkpoint_files_are_0600_even_with_umask_0(self, tmp_path: Path) -> None:
        """Killed mid-load with umask 0: the checkpoint, its journal and lock are all 0600."""
        with Sandbox() as sb:
            config = support.write_config(tmp_path, sb)
            proc = subprocess.Popen([sys.executable, "-m", "bridge", "migrate", "-c", str(config),
                                     "--no-progress", "-q"], env=support.token_env(sb),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True, umask=0)

            def kill_at_fifth_write(record: RequestRecord) -> None:
                if record.kind == "target_write" and sb.log.count("target_write") == 5:
                    proc.send_signal(signal.SIGKILL)

            unsubscribe = sb.log.subscribe(kill_at_fifth_write)
            try:
                proc.communicate(timeout=support.RUN_TIMEOUT_S)
            finally:
                unsubscribe()
            assert proc.returncode == -signal.SIGKILL
            done = _migrate(config, sb)
            assert done.returncode == 0
        made = [p for p in tmp_path.iterdir() if p.name.startswith("checkpoint")]
        assert any(p.name == "checkpoint.db" for p in made)
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in made}
        assert set(modes.values()) == {0o600}, {k: oct(v) for k, v in modes.items()}


class TestNoChildProcesses:
    """Tokens never reach another process's command line, because scbridge starts none."""

    def test_the_package_has_no_way_to_start_a_process(self) -> None:
        """No module imports subprocess & co. or calls os.system/exec*/spawn*/fork."""
        found = []
        for path in sorted(BRIDGE.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom):
                    names = {(node.module or "").split(".")[0]}
                    if node.module == "os":
                        names |= {alias.name for alias in node.names} & PROCESS_CALLS
                elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                      and node.value.id == "os"):
                    names = {node.attr} & PROCESS_CALLS
                else:
                    continue
                found += [f"{path.name}:{node.lineno} {name}" for name in names
                          if name in PROCESS_MODULES | PROCESS_CALLS]
        assert found == []

    def test_no_process_has_a_token_on_its_command_line_mid_run(self, tmp_path: Path) -> None:
        """Mid-load, no process on the machine (the CLI itself included) shows a token in argv,
        and the CLI has no child process at all."""
        seen: list[str] = []
        children: list[int] = []
        with Sandbox() as sb:
            config = support.write_config(tmp_path, sb)
            proc = support.start_cli(["migrate", "-c", str(config), "--no-progress", "-q"],
                                     support.token_env(sb))

            def look(record: RequestRecord) -> None:
                if record.kind != "target_write" or seen:
                    return
                for entry in Path("/proc").iterdir():
                    if not entry.name.isdigit():
                        continue
                    try:
                        argv = (entry / "cmdline").read_bytes().decode(errors="replace")
                        ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                    except (OSError, ValueError, IndexError):
                        continue  # the process ended while we looked
                    seen.append(argv)
                    if ppid == proc.pid:
                        children.append(int(entry.name))

            unsubscribe = sb.log.subscribe(look)
            try:
                proc.communicate(timeout=support.RUN_TIMEOUT_S)
            finally:
                unsubscribe()
            assert proc.returncode == 0
            tokens = (sb.gitlab_token, sb.sourcecraft_token)
        assert any("bridge" in argv and "migrate" in argv for argv in seen)
        assert [argv for argv in seen if any(token in argv for token in tokens)] == []
        assert children == []
