import pytest

from infra_expert.config import ConfigError, find_config_file, load_config
from infra_expert.engine import all_rules

from conftest import hits, run_review, write_tree

KNOWN = {r.id for r in all_rules()}


def test_infra_expert_toml_found_walking_up(tmp_path):
    write_tree(tmp_path, {".infra-expert.toml": 'ignore = ["DF005"]\n',
                          "a/b/Dockerfile": "FROM a:1\n"})
    assert find_config_file(str(tmp_path / "a" / "b" / "Dockerfile")) == \
        str(tmp_path / ".infra-expert.toml")


def test_pyproject_table_only_when_present(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": "[project]\nname='x'\n", "d/Dockerfile": "FROM a\n"})
    found = find_config_file(str(tmp_path / "d"))
    assert found is None or not found.startswith(str(tmp_path))
    write_tree(tmp_path, {"pyproject.toml": "[tool.infra-expert]\nfail-on = 'warning'\n"})
    cfg = load_config(str(tmp_path / "pyproject.toml"), KNOWN)
    assert cfg.fail_on == "warning"


def test_all_keys(tmp_path):
    write_tree(tmp_path, {".infra-expert.toml": """
ignore = ["df005"]
exclude = ["legacy/**"]
fail-on = "suggestion"
trusted-registries = ["ghcr.io"]
max-file-size = 1000

[severity]
DF017 = "warning"
"""})
    cfg = load_config(str(tmp_path / ".infra-expert.toml"), KNOWN)
    assert cfg.ignore == {"DF005"} and cfg.exclude == ["legacy/**"]
    assert cfg.severity == {"DF017": "warning"} and cfg.fail_on == "suggestion"
    assert cfg.trusted_registries == ["ghcr.io"] and cfg.max_file_size == 1000


@pytest.mark.parametrize("text,needle", [
    ('ignores = ["DF001"]\n', "unknown key `ignores`"),
    ('ignore = ["DF999"]\n', "unknown rule `DF999`"),
    ('[severity]\nDF001 = "fatal"\n', "must be one of"),
    ('fail-on = "sometimes"\n', "fail-on"),
    ('ignore = [\n', "invalid TOML"),
])
def test_errors_are_clear(tmp_path, text, needle):
    write_tree(tmp_path, {".infra-expert.toml": text})
    with pytest.raises(ConfigError) as exc:
        load_config(str(tmp_path / ".infra-expert.toml"), KNOWN)
    assert needle in str(exc.value)


def test_config_changes_the_review(tmp_path):
    write_tree(tmp_path, {".infra-expert.toml": 'ignore = ["DF001"]\n[severity]\nDF002 = "critical"\n',
                          "Dockerfile": "FROM a\nFROM b:latest\n"})
    cfg = load_config(str(tmp_path / ".infra-expert.toml"), KNOWN)
    result = run_review(tmp_path, config=cfg)
    assert hits(result, "DF001") == []
    assert [(f.rule.id, f.severity) for f in result.findings if f.rule.id == "DF002"] == \
        [("DF002", "critical")]
