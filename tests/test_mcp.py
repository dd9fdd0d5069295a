"""`infra-expert mcp`: the MCP server, started as a subprocess and driven over stdio by
the `mcp` SDK's own client (`stdio_client` + `ClientSession`), as an AI assistant's host
would drive it."""

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import write_tree

TOKEN = "ghp_Zq8mN3xT7vB2kL9pR4sW6yH1jD5fG0cAeU3i"      # a GitHub token's shape
DB_PASSWORD = "s3cr3t-Very-Long-Passw0rd-42"

COMPOSE = f"""
services:
  web:
    build: ./app
    image: registry.example.org/shop/web:1.4.2
    ports:
      - "8080:8000"
    environment:
      DATABASE_URL: postgres://shop:{DB_PASSWORD}@db:5432/shop
    depends_on:
      - db
    restart: unless-stopped
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: {DB_PASSWORD}
    volumes:
      - ./pgdata:/var/lib/postgresql/data
"""

DOCKERFILE = f"""
FROM python:3.12-slim
WORKDIR /srv
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
ENV GITHUB_TOKEN={TOKEN}
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "shop.wsgi"]
"""

OUTSIDE_DOCKERFILE = """
FROM ubuntu:latest
RUN apt-get update && apt-get install -y curl
USER root
"""


def _client():
    """The SDK's client side, or a skip that says why."""
    pytest.importorskip("mcp", reason="the `mcp` SDK is not installed "
                                      "(pip install 'infra-expert[mcp]')")
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    return ClientSession, StdioServerParameters, stdio_client


def serve(root, calls, *, args=(), env=None, cwd=None):
    """Start `infra-expert mcp --root ROOT` and run `calls(session)` against it; returns
    what `calls` returns."""
    ClientSession, StdioServerParameters, stdio_client = _client()
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "infra_expert", "mcp", "--root", str(root), *args],
        env={"PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src"),
             **(env or {})},
        cwd=str(cwd) if cwd else None)

    async def run():
        with open(os.devnull, "w") as quiet:       # the server's log on stderr
            async with stdio_client(params, errlog=quiet) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await calls(session)

    return asyncio.run(asyncio.wait_for(run(), timeout=120))


def text_of(result):
    return "\n".join(block.text for block in result.content if block.type == "text")


def field(obj, name):
    """`obj.name` under the SDK 2.x (snake_case) or 1.x (camelCase) spelling."""
    if hasattr(obj, name):
        return getattr(obj, name)
    head, *rest = name.split("_")
    return getattr(obj, head + "".join(w.title() for w in rest))


def structured(result):
    return field(result, "structured_content")


def failed(result):
    return field(result, "is_error")


@pytest.fixture
def project(tmp_path):
    """A small real stack (Compose + Dockerfile) inside a git work tree, and beside it,
    outside the server's root, a folder that must never be read."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    root = write_tree(repo / "shop", {
        "compose.yaml": COMPOSE,
        "app/Dockerfile": DOCKERFILE,
        "app/requirements.txt": "gunicorn==22.0.0\n",
    })
    write_tree(repo / "secret-stack", {"Dockerfile": OUTSIDE_DOCKERFILE})
    os.symlink(repo / "secret-stack" / "Dockerfile", root / "linked.Dockerfile")
    os.symlink(repo / "secret-stack", root / "linked-dir")
    return root


def test_tools_listed_with_descriptions_and_read_only_hints(project):
    async def calls(session):
        return (await session.list_tools()).tools

    tools = {t.name: t for t in serve(project, calls)}
    assert set(tools) == {"review_path", "review_text", "explain_rule", "list_rules",
                          "estimate_resources"}
    for tool in tools.values():
        assert len(tool.description) > 200, tool.name        # written for an assistant
        assert field(tool.annotations, "read_only_hint") is True
        assert field(tool.annotations, "destructive_hint") is False
        assert field(tool.annotations, "open_world_hint") is False
    schema = field(tools["review_path"], "input_schema")
    assert schema["required"] == ["path"]
    assert {"critical", "warning", "suggestion"} <= set(
        json.dumps(schema["properties"]["min_severity"]).replace('"', " ").split())
    assert set(field(tools["review_text"], "input_schema")["required"]) == {"content",
                                                                            "filename"}


def test_review_path_matches_the_json_format_and_masks_secrets(project):
    async def calls(session):
        return (await session.call_tool("review_path", {"path": "."}),
                await session.call_tool("review_path", {"path": "app/Dockerfile",
                                                        "min_severity": "warning"}))

    whole, one = serve(project, calls)
    assert not failed(whole), text_of(whole)
    data = structured(whole)
    assert data["schema_version"] == 1 and data["tool"]["name"] == "infra-expert"
    assert {(f["path"], f["domain"]) for f in data["files"]} == {
        ("compose.yaml", "compose"), ("app/Dockerfile", "dockerfile")}
    rules = {f["rule"] for f in data["findings"]}
    assert "DF041" in rules                  # the token written into the Dockerfile
    # the same review as `infra-expert review --format json` run in the root
    cli = subprocess.run([sys.executable, "-m", "infra_expert", "review", ".", "-f", "json",
                          "--no-config"], cwd=project, capture_output=True, text=True,
                         timeout=120)
    expected = json.loads(cli.stdout)
    assert data["summary"] == expected["summary"]
    assert sorted((f["rule"], f["path"], f["line"]) for f in data["findings"]) == sorted(
        (f["rule"], f["path"], f["line"]) for f in expected["findings"])
    # the symbolic links that lead out of the root are not followed
    assert not any("secret-stack" in f["path"] or "linked" in f["path"]
                   for f in data["findings"])
    text = text_of(whole)
    assert text.startswith("## infra-expert review")
    assert "### 🔴 Critical" in text and "### 📊 Estimated resources" in text
    everything = json.dumps(data) + text + json.dumps(structured(one)) + text_of(one)
    assert TOKEN not in everything and DB_PASSWORD not in everything

    assert not failed(one), text_of(one)
    data = structured(one)
    assert {f["severity"] for f in data["findings"]} <= {"critical", "warning"}
    assert data["left_out"].get("suggestion", 0) > 0
    assert data["summary"]["suggestion"] == 0
    assert "Left out by min_severity" in text_of(one)


def test_paths_outside_the_root_are_refused(project):
    outside = project.parent / "secret-stack" / "Dockerfile"
    asked = ["../secret-stack/Dockerfile", str(outside), "linked.Dockerfile",
             "linked-dir", "linked-dir/Dockerfile", "/etc/passwd", "app/../../secret-stack",
             "no-such-file.yaml", ""]

    async def calls(session):
        out = []
        for path in asked:
            out.append(await session.call_tool("review_path", {"path": path}))
        out.append(await session.call_tool("estimate_resources", {"path": str(outside)}))
        return out

    results = serve(project, calls)
    for path, result in zip(asked + ["estimate_resources"], results):
        assert failed(result), path
        assert not structured(result), path
        message = text_of(result)
        assert "ubuntu" not in message and "apt-get" not in message
        if path in ("no-such-file.yaml", ""):
            continue
        assert "outside the server's root" in message, (path, message)


def test_reads_of_the_review_stay_in_the_root(project):
    """A file given alone brings its project as context; here the git work tree is above
    the root and a Compose `build:` leads out of it: neither is read."""
    write_tree(project, {"overlay/compose.yaml": textwrap.dedent("""
        services:
          worker:
            build: ../../secret-stack
            command: ["python", "-m", "worker"]
        """)})

    async def calls(session):
        return await session.call_tool("review_path", {"path": "overlay/compose.yaml"})

    result = serve(project, calls)
    assert not failed(result), text_of(result)
    data = structured(result)
    assert [f["path"] for f in data["files"]] == ["overlay/compose.yaml"]
    assert any("outside the reviewed tree" in n["message"] and "secret-stack" in n["path"]
               for n in data["notices"]), data["notices"]
    assert not any(f["path"].endswith("secret-stack/Dockerfile") for f in data["findings"])


def test_review_text_keeps_a_hostile_name_inside_its_temporary_folder(tmp_path, project):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    hostile = "../../../escaped/\x1b[31mDockerfile"
    plain_hostile = "../../escaped/Dockerfile"

    async def calls(session):
        return (await session.call_tool("review_text", {"content": DOCKERFILE,
                                                        "filename": plain_hostile}),
                await session.call_tool("review_text", {"content": DOCKERFILE,
                                                        "filename": hostile}),
                await session.call_tool("review_text", {"content": "FROM alpine\n",
                                                        "filename": "../.."}))

    plain, escaped, empty = serve(project, calls, env={"TMPDIR": str(scratch)})
    assert not failed(plain), text_of(plain)
    data = structured(plain)
    assert [f["path"] for f in data["files"]] == ["escaped/Dockerfile"]
    assert "DF041" in {f["rule"] for f in data["findings"]}
    assert TOKEN not in json.dumps(data) + text_of(plain)
    # nothing written beside the scratch folder nor the project, nothing left inside it
    for base in (tmp_path, scratch, scratch.parent.parent, project, project.parent):
        assert not (base / "escaped").exists()
    assert list(scratch.iterdir()) == []
    # the escape character reaches the assistant as text, never raw in the Markdown
    assert not failed(escaped), text_of(escaped)
    assert "\x1b" not in text_of(escaped)
    assert structured(escaped)["files"][0]["path"].endswith("Dockerfile")
    assert failed(empty) and "not a usable file name" in text_of(empty)


def test_explain_rule_and_list_rules(project):
    async def calls(session):
        return [await session.call_tool("explain_rule", {"rule_id": "DF041"}),
                await session.call_tool("explain_rule", {"rule_id": "DL3008"}),
                await session.call_tool("explain_rule", {"rule_id": "XX999"}),
                await session.call_tool("list_rules", {}),
                await session.call_tool("list_rules", {"domain": "compose"}),
                await session.call_tool("list_rules", {"domain": "nonsense"})]

    own, peer, unknown, every, compose, bad = serve(project, calls)
    data = structured(own)
    assert data["id"] == "DF041" and data["domain"] == "dockerfile"
    assert data["rationale"] and data["fix"] and data["example"]
    assert "Why it matters:" in text_of(own) and "Fix:" in text_of(own)
    data = structured(peer)          # hadolint's id for apt pinning: our rule for it
    assert any(p.endswith("DL3008") for p in data["peers"]), data
    assert data["id"] in text_of(peer)
    assert failed(unknown) and "list_rules" in text_of(unknown)

    rules = structured(every)["rules"]
    assert len(rules) > 300
    assert {"dockerfile", "compose", "kubernetes", "systemd"} <= {r["domain"] for r in rules}
    assert all(set(r) >= {"id", "title", "severity", "domain"} for r in rules)
    assert "DF041" in text_of(every)
    only = structured(compose)["rules"]
    assert only and {r["domain"] for r in only} == {"compose"}
    assert len(only) < len(rules)
    assert failed(bad) and "compose" in text_of(bad)


def test_estimate_resources_for_a_path_and_for_content(project):
    async def calls(session):
        return (await session.call_tool("estimate_resources",
                                        {"path": "compose.yaml", "host": "rpi3-1gb"}),
                await session.call_tool("estimate_resources",
                                        {"content": COMPOSE, "filename": "compose.yaml",
                                         "host": "rpi4-4gb"}),
                await session.call_tool("estimate_resources", {"path": "."}),
                await session.call_tool("estimate_resources", {}),
                await session.call_tool("review_path", {"path": ".", "host": "toaster"}))

    small, content, no_host, neither, bad_host = serve(project, calls)
    assert not failed(small), text_of(small)
    data = structured(small)
    services = {s["service"] for p in data["resources"]["compose"]["projects"]
                for s in p["services"]}
    assert services == {"web", "db"}
    assert data["findings"] and all(f["rule"].startswith("RS") for f in data["findings"])
    assert "RS002" in {f["rule"] for f in data["findings"]}   # no memory limit, 1 GiB
    text = text_of(small)
    assert text.startswith("### 📊 Estimated resources")
    assert "Raspberry Pi 3" in text and "#### Against the host" in text
    assert "### 🔴 Critical" not in text           # the resources part only

    assert not failed(content), text_of(content)
    assert structured(content)["resources"]["compose"]["projects"][0]["path"] == \
        "compose.yaml"
    assert DB_PASSWORD not in json.dumps(structured(content)) + text_of(content)
    assert not failed(no_host) and "Raspberry Pi" not in text_of(no_host)
    assert failed(neither) and "either" in text_of(neither)
    assert failed(bad_host) and "toaster" in text_of(bad_host)


def test_without_the_sdk_the_command_says_how_to_install_it(tmp_path):
    """`mcp` missing (hidden by a `sitecustomize` that blocks its import): a clear
    message and exit status 2, no traceback."""
    block = tmp_path / "block"
    block.mkdir()
    (block / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'mcp' or name.startswith('mcp.'):\n"
        "            raise ImportError('blocked for the test')\n"
        "sys.meta_path.insert(0, _Block())\n")
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([str(block), str(Path(__file__).resolve()
                                                           .parent.parent / "src")]))
    run = subprocess.run([sys.executable, "-m", "infra_expert", "mcp"], env=env,
                         cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 2
    assert "pip install 'infra-expert[mcp]'" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_a_root_that_is_not_a_folder_is_an_error(tmp_path):
    _client()
    run = subprocess.run([sys.executable, "-m", "infra_expert", "mcp", "--root",
                          str(tmp_path / "nowhere")], capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL)
    assert run.returncode == 2 and "not a folder" in run.stderr
