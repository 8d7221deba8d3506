"""Generated docs: the committed JSON Schema and site-file reference match the generator (no drift)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from pydantic import BaseModel

from lokictl import docs
from lokictl.cli import cli
from lokictl.core import EXAMPLES, example_text
from lokictl.model import SiteModel
from lokictl.rules import RULES
from lokictl.site import load_site_text

ROOT = Path(__file__).resolve().parents[2]


def test_generated_files_are_current() -> None:
    for relative, expected in docs.generate().items():
        path = ROOT / relative
        assert path.is_file(), f"{relative} is missing; run `make docs` and commit the result"
        assert path.read_text(encoding="utf-8") == expected, (
            f"{relative} differs from what lokictl/docs.py generates; run `make docs` and commit the result"
        )


def test_schema_is_site_model_schema_with_dialect() -> None:
    schema = json.loads((ROOT / docs.SCHEMA_PATH).read_text(encoding="utf-8"))
    assert schema["$schema"] == docs.SCHEMA_DIALECT
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(SiteModel.model_fields)
    assert set(schema["required"]) == {"site", "networks", "hosts"}
    # Defaults from default factories are recorded too (pydantic leaves them out on its own).
    assert schema["$defs"]["OpenStack"]["properties"]["enable"]["default"] == {}
    assert schema["$defs"]["Linux"]["properties"]["admin_users"]["default"] == []
    assert schema["properties"]["openstack"]["default"]["enabled"] is False


def test_schema_command_prints_committed_schema() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0, result.output
    assert result.output == (ROOT / docs.SCHEMA_PATH).read_text(encoding="utf-8")


@pytest.mark.parametrize("example", EXAMPLES)
def test_examples_satisfy_json_schema(example: str) -> None:
    schema = json.loads((ROOT / docs.SCHEMA_PATH).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(example_text(example)))


def test_json_schema_rejects_unknown_keys_and_roles() -> None:
    schema = json.loads((ROOT / docs.SCHEMA_PATH).read_text(encoding="utf-8"))
    data = yaml.safe_load(example_text("aio"))
    data["hosts"][0]["roles"] = ["controller"]
    data["site"]["nmae"] = "x"
    errors = sorted(e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert errors == [
        "'controller' is not one of ['control', 'network', 'compute', 'storage', 'monitoring', "
        "'k8s_control_plane', 'k8s_worker']",
        "Additional properties are not allowed ('nmae' was unexpected)",
    ]


def _model_fields(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    names: set[str] = set()
    if model in seen:
        return names
    seen.add(model)
    for name, info in model.model_fields.items():
        names.add(name)
        for inner in _nested_models(info.annotation):
            names |= _model_fields(inner, seen)
    return names


def _nested_models(tp: Any) -> list[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [m for arg in getattr(tp, "__args__", ()) for m in _nested_models(arg)]


def test_reference_has_a_row_for_every_field_and_rule() -> None:
    text = (ROOT / docs.REFERENCE_PATH).read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z0-9_]+)` \|", text, flags=re.MULTILINE))
    missing_fields = _model_fields(SiteModel, set()) - rows
    assert not missing_fields, f"fields without a row in {docs.REFERENCE_PATH}: {sorted(missing_fields)}"
    missing_rules = {r.__name__ for r in RULES} - rows
    assert not missing_rules, f"rules without a row in {docs.REFERENCE_PATH}: {sorted(missing_rules)}"


def test_every_field_has_a_description() -> None:
    schema = docs.json_schema()
    undocumented = [
        f"{name}.{field}"
        for name, model in schema["$defs"].items()
        for field, prop in model["properties"].items()
        if not prop.get("description")
    ]
    assert not undocumented, f"add Field(description=...) in lokictl/model.py for: {undocumented}"


def test_annotated_example_in_reference_validates() -> None:
    text = (ROOT / docs.REFERENCE_PATH).read_text(encoding="utf-8")
    blocks = re.findall(r"^```yaml\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1
    assert blocks[0] == example_text("aio")
    site = load_site_text(blocks[0], "site-file.md")
    assert site.model.site.name == "aio"


def test_check_mode_detects_drift_and_write_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert docs.main(["--check", "--root", str(tmp_path)]) == 1
    assert f"{docs.REFERENCE_PATH}: out of date; run `make docs`" in capsys.readouterr().err
    assert docs.main(["--root", str(tmp_path)]) == 0
    assert docs.main(["--check", "--root", str(tmp_path)]) == 0
    (tmp_path / docs.SCHEMA_PATH).write_text("{}\n", encoding="utf-8")
    assert docs.stale(tmp_path) == [docs.SCHEMA_PATH]
    assert docs.main(["--root", str(tmp_path)]) == 0
    assert "wrote lokictl/schema/site.schema.json" in capsys.readouterr().out
    assert docs.stale(tmp_path) == []
