"""Cheap guards on the shape of the code, checked by walking `ast` imports and names.

- services, queries and models never import the web stack (starlette, jinja2);
- the policy imports no feature service, query or route module, nor the web layer;
- role comparisons live in the policy: only an allowlist of modules names the program-admin
  role or `is_program_admin`;
- every setting is in the README's settings table, and the table names no other;
- every module has a docstring.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from artme_cop.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "artme_cop"
MODULES = sorted(PACKAGE.rglob("*.py"))
WEB_STACK = ("starlette", "jinja2")
LAYER_FILES = ("service.py", "queries.py", "models.py")
# Service modules named after their subject rather than `service.py`; the same rules apply.
SERVICE_MODULES = {
    "moderation/flags.py", "moderation/retention.py", "knowledge/views.py", "attachments/scanning.py",
    *(f"identity/service/{name}" for name in ("accounts.py", "invitations.py", "organisation.py", "sessions.py", "two_step.py")),
}
# The modules allowed to name the program-admin role: the policy itself, the enum's home,
# the service that creates admins, and the CLI and demo that call it.
# create-admin grants the program-admin role, so its module names it; nothing else may.
ROLE_ALLOWLIST = {"policy.py", "identity/models.py", "identity/service/accounts.py", "demo.py", "cli.py"}


def relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def module_name(path: Path) -> str:
    parts = ["artme_cop", *path.relative_to(PACKAGE).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    """Absolute names of every module imported anywhere in the file (also inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).rsplit(".", 0 if path.name == "__init__.py" else 1)[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names.add(prefix)
            # `from artme_cop.identity import service` imports a module too.
            names.update(f"{prefix}.{alias.name}" for alias in node.names)
    return names


def test_the_walk_sees_the_package() -> None:
    assert len(MODULES) > 20
    assert "artme_cop.identity.service" in imported_modules(PACKAGE / "identity" / "routes.py")
    assert "starlette.requests" in imported_modules(PACKAGE / "identity" / "routes.py")


@pytest.mark.parametrize("path", [p for p in MODULES if p.name in LAYER_FILES or relative(p) in SERVICE_MODULES] + [PACKAGE / "policy.py"], ids=relative)
def test_domain_layers_do_not_import_the_web_stack(path: Path) -> None:
    bad = sorted(name for name in imported_modules(path) if name.split(".")[0] in WEB_STACK or name.startswith("artme_cop.web"))
    assert not bad, f"{relative(path)} imports {bad}"


def test_policy_imports_no_feature_service() -> None:
    imports = {name for name in imported_modules(PACKAGE / "policy.py") if name.startswith("artme_cop")}
    forbidden = sorted(
        name
        for name in imports
        if name.split(".")[-1] in {"service", "queries", "routes", "app", "cli", "unit_of_work"} or name.startswith("artme_cop.web")
    )
    assert not forbidden, f"policy.py imports {forbidden}"


def names_the_admin_role(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in {"PROGRAM_ADMIN", "is_program_admin"}:
            lines.append(node.lineno)
        elif isinstance(node, ast.Constant) and node.value == "program_admin":
            lines.append(node.lineno)
    return lines


def test_only_the_policy_compares_roles() -> None:
    offenders = {relative(path): lines for path in MODULES if relative(path) not in ROLE_ALLOWLIST and (lines := names_the_admin_role(path))}
    assert not offenders, f"role checks outside policy.py (file: lines): {offenders}"
    assert names_the_admin_role(PACKAGE / "policy.py"), "the guard must see the policy's own checks"


def readme_settings_table() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\|\s*`(ARTME_[A-Z0-9_]+)`\s*\|", readme, flags=re.MULTILINE))


@pytest.mark.parametrize("setting", [s.name for s in SETTINGS])
def test_every_setting_is_in_the_readme_table(setting: str) -> None:
    assert setting in readme_settings_table(), f"{setting} is missing from the README settings table"


def test_the_readme_table_names_only_real_settings() -> None:
    stale = readme_settings_table() - {s.name for s in SETTINGS}
    assert not stale, f"README documents settings that do not exist: {sorted(stale)}"


@pytest.mark.parametrize("path", MODULES, ids=relative)
def test_every_module_has_a_docstring(path: Path) -> None:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring and docstring.strip(), f"{relative(path)} has no module docstring"


def test_no_sql_is_built_from_f_strings() -> None:
    """SEC-J2: SQL goes through SQLAlchemy's parameter binding; `text()` never takes an
    f-string, so no value can become SQL."""
    offenders = [relative(path) for path in MODULES if re.search(r"""\btext\(\s*f["']""", path.read_text(encoding="utf-8"))]
    assert not offenders, f"text() built from an f-string in {offenders}"
